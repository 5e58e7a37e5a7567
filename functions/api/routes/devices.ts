import { randomUUID } from 'node:crypto';
import { DeviceRequestStatus, type DeviceOperation, type DeviceRequest } from '../../../core/devices/DeviceRequest.ts';
import { parseJsonBody } from '../http.ts';
import { DeviceOperationRequestSchema, validate } from '../schemas.ts';
import { mustFind } from './lookup.ts';
import { ok, type ApiDependencies, type Route } from './types.ts';
import type { ApiRequest, ApiResponse } from '../http.ts';

export const deviceRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/devices',
    summary: 'List registered devices',
    handle: async ({ stores }) => ok({ items: (await stores.registrations.list()).sort((a, b) => a.endpoint.localeCompare(b.endpoint)) }),
  },
  {
    method: 'GET',
    path: '/devices/{endpoint}',
    summary: 'Show one device: registration, objects, last seen',
    handle: async ({ stores }, { endpoint = '' }) => ok(await mustFind(stores.registrations.get(endpoint), `device ${endpoint}`)),
  },
  {
    method: 'POST',
    path: '/devices/{endpoint}/operations',
    summary: 'Send a Device Management operation (read, write, execute, observe...); 202 while the device has not answered',
    body: DeviceOperationRequestSchema,
    handle: requestOperation,
  },
  {
    method: 'GET',
    path: '/requests/{requestId}',
    summary: 'Show a device operation and its result',
    handle: async ({ stores }, { requestId = '' }) => ok(await mustFind(stores.requests.get(requestId), `request ${requestId}`)),
  },
];

async function requestOperation(deps: ApiDependencies, { endpoint = '' }: Readonly<Record<string, string>>, request: ApiRequest): Promise<ApiResponse> {
  const input = validate(DeviceOperationRequestSchema, parseJsonBody(request.body));
  const device = await mustFind(deps.stores.registrations.get(endpoint), `device ${endpoint}`);
  const now = (deps.clock ?? Date.now)();
  const deviceRequest: DeviceRequest = {
    requestId: randomUUID(),
    endpoint: device.endpoint,
    operation: input.operation as DeviceOperation,
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
