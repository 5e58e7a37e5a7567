import { randomUUID } from 'node:crypto';
import { DeviceRequestStatus, type DeviceOperation, type DeviceRequest } from '../../../core/devices/DeviceRequest.ts';
import { isRegistrationAlive, type DeviceRegistration } from '../../../core/devices/DeviceRegistration.ts';
import { checkDeviceOperation } from '../../../core/devices/operations.ts';
import { firmwareHistory } from '../../../core/fleet/firmwareHistory.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { ApiError, parseJsonBody } from '../http.ts';
import { DeviceListQuerySchema, DeviceOperationRequestSchema, TelemetryQuerySchema, validate } from '../schemas.ts';
import { mustFind } from './lookup.ts';
import { ok, type ApiDependencies, type Route } from './types.ts';
import type { ApiRequest, ApiResponse } from '../http.ts';

/** A registration as the API shows it: `online` is false once its lifetime passed without an Update. */
export type DeviceView = DeviceRegistration & { readonly online: boolean; readonly expiresAt: number };

function deviceView(registration: DeviceRegistration, now: number): DeviceView {
  return { ...registration, online: isRegistrationAlive(registration, now), expiresAt: registration.lastSeen + registration.lifetimeSeconds * 1000 };
}

export const deviceRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/devices',
    summary: 'List registered devices (?online=true for live registrations only)',
    query: DeviceListQuerySchema,
    handle: async ({ stores, clock }, _params, request) => {
      const query = validate(DeviceListQuerySchema, request.query);
      const now = (clock ?? Date.now)();
      const items = (await stores.registrations.list())
        .map((registration) => deviceView(registration, now))
        .filter((device) => query.online === undefined || String(device.online) === query.online)
        .sort((a, b) => a.endpoint.localeCompare(b.endpoint));
      return ok({ items });
    },
  },
  {
    method: 'GET',
    path: '/devices/{endpoint}',
    summary: 'Show one device: registration, objects, last seen, online',
    handle: async ({ stores, clock }, { endpoint = '' }) => ok(deviceView(await mustFind(stores.registrations.get(endpoint), `device ${endpoint}`), (clock ?? Date.now)())),
  },
  {
    method: 'GET',
    path: '/devices/{endpoint}/history',
    summary: "The device's firmware history: versions over time, the campaign that installed each, every campaign that targeted it",
    handle: async ({ stores }, { endpoint = '' }) => {
      const device = await mustFind(stores.registrations.get(endpoint), `device ${endpoint}`);
      return ok(firmwareHistory(device, await stores.jobs.listForEndpoint(endpoint)));
    },
  },
  {
    method: 'POST',
    path: '/devices/{endpoint}/operations',
    summary: 'Send a Device Management operation (read, write, create, execute, observe, composite...); 202 while the device has not answered',
    body: DeviceOperationRequestSchema,
    handle: requestOperation,
  },
  {
    method: 'GET',
    path: '/devices/{endpoint}/telemetry',
    summary: 'Values the device reported (Send, notifications), latest first (?limit=100)',
    query: TelemetryQuerySchema,
    handle: async ({ stores }, { endpoint = '' }, request) => {
      const query = validate(TelemetryQuerySchema, request.query);
      const items = await stores.telemetry.latest(endpoint, query.limit);
      // A device that reported stays known after it de-registered; one never seen is a 404.
      if (items.length === 0) await mustFind(stores.registrations.get(endpoint), `device ${endpoint}`);
      return ok({ items });
    },
  },
  {
    method: 'GET',
    path: '/requests/{requestId}',
    summary: 'Show a device operation and its result',
    handle: async ({ stores }, { requestId = '' }) => ok(await mustFind(stores.requests.get(requestId), `request ${requestId}`)),
  },
  {
    method: 'DELETE',
    path: '/requests/{requestId}',
    summary: 'Cancel a device operation the device has not answered yet (409 once it ended)',
    handle: cancelRequest,
  },
];

/** PENDING -> CANCELLED by a conditional write: the edge records every send first, so a cancelled request is never sent again. */
async function cancelRequest({ stores, clock }: ApiDependencies, { requestId = '' }: Readonly<Record<string, string>>): Promise<ApiResponse> {
  await mustFind(stores.requests.get(requestId), `request ${requestId}`);
  const cancelled = await stores.requests.complete(requestId, DeviceRequestStatus.Cancelled, { code: '', error: 'cancelled by the operator' }, (clock ?? Date.now)());
  const current = await mustFind(stores.requests.get(requestId), `request ${requestId}`);
  if (!cancelled) throw new ApiError(409, 'ILLEGAL_ACTION', `request ${requestId} is ${current.status}: only a PENDING request can be cancelled`);
  return ok(current);
}

async function requestOperation(deps: ApiDependencies, { endpoint = '' }: Readonly<Record<string, string>>, request: ApiRequest): Promise<ApiResponse> {
  const input = validate(DeviceOperationRequestSchema, parseJsonBody(request.body));
  const checked = checkDeviceOperation(input.operation as DeviceOperation, defaultObjectRegistry);
  if (!checked.success) throw new ApiError(400, 'INVALID_OPERATION', checked.error.message, 'operation');
  const device = await mustFind(deps.stores.registrations.get(endpoint), `device ${endpoint}`);
  const now = (deps.clock ?? Date.now)();
  const deviceRequest: DeviceRequest = {
    requestId: randomUUID(),
    endpoint: device.endpoint,
    operation: checked.data,
    status: DeviceRequestStatus.Pending,
    ownerTask: device.ownerTask,
    createdAt: now,
    expiresAt: now + input.expiresInSeconds * 1000,
  };
  await deps.stores.requests.create(deviceRequest);
  const deadline = Date.now() + input.waitSeconds * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const current = await deps.stores.requests.get(deviceRequest.requestId);
    if (current !== undefined && current.status !== DeviceRequestStatus.Pending) return ok(current);
  }
  return { status: 202, body: deviceRequest, headers: { location: `/requests/${deviceRequest.requestId}` } };
}
