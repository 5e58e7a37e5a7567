/**
 * The REST API: devices, device operations, images and campaigns. One router for the Lambda
 * behind API Gateway and the local HTTP server.
 */
import { randomUUID } from 'node:crypto';
import { DeviceRequestStatus, type DeviceOperation, type DeviceRequest } from '../../core/devices/DeviceRequest.ts';
import { tallyJobs } from '../../core/campaign/progress.ts';
import type { Stores } from '../../store/Stores.ts';
import { ApiError, errorBody, parseJsonBody, type ApiRequest, type ApiResponse } from './http.ts';
import { DeviceOperationRequestSchema, ImageUploadSchema, validate } from './schemas.ts';
import { InvalidCampaignError, launchCampaign, type ExecutionStarter } from './launchCampaign.ts';

export interface ApiDependencies {
  readonly stores: Stores;
  readonly starter: ExecutionStarter;
  readonly clock?: () => number;
}

type Route = { readonly method: string; readonly pattern: RegExp; readonly handle: (deps: ApiDependencies, params: string[], request: ApiRequest) => Promise<ApiResponse> };

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/health$/, handle: async () => ok({ status: 'ok' }) },
  { method: 'GET', pattern: /^\/devices$/, handle: async ({ stores }) => ok({ items: (await stores.registrations.list()).sort((a, b) => a.endpoint.localeCompare(b.endpoint)) }) },
  { method: 'GET', pattern: /^\/devices\/([^/]+)$/, handle: async ({ stores }, [endpoint]) => ok(await mustFind(stores.registrations.get(endpoint ?? ''), `device ${endpoint}`)) },
  { method: 'POST', pattern: /^\/devices\/([^/]+)\/operations$/, handle: requestOperation },
  { method: 'GET', pattern: /^\/requests\/([^/]+)$/, handle: async ({ stores }, [id]) => ok(await mustFind(stores.requests.get(id ?? ''), `request ${id}`)) },
  { method: 'GET', pattern: /^\/images$/, handle: async ({ stores }) => ok({ items: (await stores.images.list()).sort((a, b) => a.createdAt - b.createdAt) }) },
  { method: 'GET', pattern: /^\/images\/([^/]+)$/, handle: async ({ stores }, [id]) => ok(await mustFind(stores.images.get(id ?? ''), `image ${id}`)) },
  { method: 'POST', pattern: /^\/images$/, handle: uploadImage },
  { method: 'GET', pattern: /^\/campaigns$/, handle: async ({ stores }) => ok({ items: await stores.campaigns.list() }) },
  { method: 'GET', pattern: /^\/campaigns\/([^/]+)$/, handle: showCampaign },
  { method: 'GET', pattern: /^\/campaigns\/([^/]+)\/jobs$/, handle: async ({ stores }, [id]) => ok({ items: await stores.jobs.listCampaign(id ?? '') }) },
  { method: 'POST', pattern: /^\/campaigns$/, handle: createCampaign },
];

export async function routeApiRequest(deps: ApiDependencies, request: ApiRequest): Promise<ApiResponse> {
  try {
    const path = request.path.replace(/\/+$/, '') || '/';
    let methodMismatch = false;
    for (const route of ROUTES) {
      const match = route.pattern.exec(path);
      if (match === null) continue;
      if (route.method !== request.method) {
        methodMismatch = true;
        continue;
      }
      return await route.handle(deps, match.slice(1).map(decodeURIComponent), request);
    }
    throw methodMismatch ? new ApiError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`) : new ApiError(404, 'NOT_FOUND', `no route ${path}`);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: errorBody(error) };
    if (error instanceof InvalidCampaignError) {
      const field = /^([\w.]+):/.exec(error.message)?.[1];
      return { status: 400, body: errorBody(new ApiError(400, 'INVALID_CAMPAIGN', error.message, field)) };
    }
    throw error;
  }
}

async function mustFind<T>(lookup: Promise<T | undefined>, what: string): Promise<T> {
  const found = await lookup;
  if (found === undefined) throw new ApiError(404, 'NOT_FOUND', `${what} does not exist`);
  return found;
}

async function requestOperation(deps: ApiDependencies, [endpoint]: string[], request: ApiRequest): Promise<ApiResponse> {
  const input = validate(DeviceOperationRequestSchema, parseJsonBody(request.body));
  const device = await mustFind(deps.stores.registrations.get(endpoint ?? ''), `device ${endpoint}`);
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

async function uploadImage({ stores }: ApiDependencies, _params: string[], request: ApiRequest): Promise<ApiResponse> {
  const input = validate(ImageUploadSchema, parseJsonBody(request.body));
  const bytes = Buffer.from(input.contentBase64, 'base64');
  if (bytes.length === 0) throw new ApiError(400, 'INVALID_REQUEST', 'contentBase64: no bytes', 'contentBase64');
  const image = await stores.images.store({ version: input.version, models: input.models, ...(input.notes === undefined ? {} : { notes: input.notes }) }, bytes);
  return ok(image, 201);
}

async function showCampaign({ stores }: ApiDependencies, [id]: string[]): Promise<ApiResponse> {
  const campaign = await mustFind(stores.campaigns.get(id ?? ''), `campaign ${id}`);
  const jobs = await stores.jobs.listCampaign(campaign.campaignId);
  const cohorts = new Map<number, typeof jobs>();
  for (const job of jobs) cohorts.set(job.cohort, [...(cohorts.get(job.cohort) ?? []), job]);
  return ok({
    ...campaign,
    progress: tallyJobs(jobs),
    cohorts: [...cohorts].sort(([a], [b]) => a - b).map(([cohort, cohortJobs]) => ({ cohort, ...tallyJobs(cohortJobs) })),
  });
}

async function createCampaign(deps: ApiDependencies, _params: string[], request: ApiRequest): Promise<ApiResponse> {
  return ok(await launchCampaign(deps.stores, deps.starter, parseJsonBody(request.body)), 201);
}
