/**
 * The REST API router: one table of routes (devices, images, campaigns), shared by the Lambda
 * behind API Gateway and the local HTTP server, and the source of the OpenAPI document served at
 * GET /openapi.json. List routes answer one page (`?limit=`, `?cursor=`). Errors come out as
 * `{ error: { code, message, field? } }` with 400 (bad input, field named), 404 (unknown id),
 * 405 (method not allowed on the path), 409 (illegal action).
 */
import { ApiError, errorBody, type ApiRequest, type ApiResponse } from '../http.ts';
import { IdempotencyConflictError, ImageUnavailableError, InvalidCampaignError, WorkflowStartError } from '../launchCampaign.ts';
import { buildOpenApiDocument } from '../openapi.ts';
import { paginate, parsePageQuery, timeOrderedKey } from '../pagination.ts';
import { accessRoutes } from './access.ts';
import { audited, auditRoutes } from './audit.ts';
import { MAX_ID_LENGTH } from '../schemas.ts';
import { campaignRoutes } from './campaigns.ts';
import { credentialRoutes } from './credentials.ts';
import { deviceRoutes } from './devices.ts';
import { fleetRoutes } from './fleet.ts';
import { groupRoutes } from './groups.ts';
import { imageRoutes } from './images.ts';
import { ok, type ApiDependencies, type Route } from './types.ts';

export type { ApiDependencies, Route } from './types.ts';

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/health', summary: 'Liveness', handle: async () => ({ status: 200, body: { status: 'ok' } }) },
  { method: 'GET', path: '/openapi.json', summary: 'This API as an OpenAPI 3.1 document', handle: async () => ok(openApiDocument()) },
  ...groupRoutes,
  ...deviceRoutes,
  ...fleetRoutes,
  // Credential and image changes are recorded in the audit trail (routes/audit.ts).
  ...audited(imageRoutes),
  ...campaignRoutes,
  ...audited(credentialRoutes),
  ...accessRoutes,
  ...auditRoutes,
];

type Item = Readonly<Record<string, unknown>>;

/**
 * List routes answered one page at a time, and the stable key each is ordered by. Route handlers
 * return their whole list as `{ items }`; the router sorts it by this key and cuts the page
 * (pagination.ts explains why that is right at this scale).
 */
const PAGED_LISTS: ReadonlyMap<string, (item: Item) => string> = new Map([
  ['GET /devices', (device: Item) => String(device['endpoint'])],
  ['GET /groups', (group: Item) => String(group['group'])],
  ['GET /images', (image: Item) => timeOrderedKey(image['createdAt'], image['imageId'])],
  ['GET /campaigns', (campaign: Item) => timeOrderedKey(campaign['createdAt'], campaign['campaignId'])],
  ['GET /campaigns/{campaignId}/jobs', (job: Item) => String(job['jobKey'])],
]);

const pageKeyOf = (route: Route): ((item: Item) => string) | undefined => PAGED_LISTS.get(`${route.method} ${route.path}`);

let openApi: Record<string, unknown> | undefined;
const openApiDocument = (): Record<string, unknown> => (openApi ??= buildOpenApiDocument(ROUTES, { isPaged: (route) => pageKeyOf(route) !== undefined }));

const COMPILED = ROUTES.map((route) => ({
  route,
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

/** A path parameter as text; a malformed percent-encoding or an over-long id is bad input naming the parameter. */
function decodeParameter(name: string, raw: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, 'INVALID_REQUEST', `${name}: malformed percent-encoding`, name);
  }
  if (value.length > MAX_ID_LENGTH) throw new ApiError(400, 'INVALID_REQUEST', `${name}: at most ${MAX_ID_LENGTH} characters`, name);
  return value;
}

/** Runs a list route and answers one page of its items. */
async function handlePaged(route: Route, keyOf: (item: Item) => string, deps: ApiDependencies, params: Readonly<Record<string, string>>, request: ApiRequest): Promise<ApiResponse> {
  const page = parsePageQuery(request.query, `${route.method} ${route.path}`);
  const response = await route.handle(deps, params, request);
  const body = response.body as { items?: unknown } | undefined;
  if (response.status !== 200 || !Array.isArray(body?.items)) return response;
  return { ...response, body: { ...body, ...paginate(body.items as Item[], keyOf, page) } };
}

export async function routeApiRequest(deps: ApiDependencies, request: ApiRequest): Promise<ApiResponse> {
  try {
    const path = request.path.replace(/\/+$/, '') || '/';
    // A literal path (`/campaigns/dry-run`) wins over a pattern (`/campaigns/{campaignId}`): a
    // wrong method on it is a 405, not a lookup of a campaign called "dry-run".
    const literal = COMPILED.filter(({ route }) => route.path === path);
    let methodMismatch = false;
    for (const { route, names, pattern } of literal.length > 0 ? literal : COMPILED) {
      const match = pattern.exec(path);
      if (match === null) continue;
      if (route.method !== request.method) {
        methodMismatch = true;
        continue;
      }
      const params = Object.fromEntries(names.map((name, i) => [name, decodeParameter(name, match[i + 1] ?? '')]));
      const keyOf = pageKeyOf(route);
      return await (keyOf === undefined ? route.handle(deps, params, request) : handlePaged(route, keyOf, deps, params, request));
    }
    throw methodMismatch ? new ApiError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`) : new ApiError(404, 'NOT_FOUND', `no route ${path}`);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: errorBody(error) };
    const refusal = launchRefusal(error);
    if (refusal !== undefined) return { status: refusal.status, body: errorBody(refusal) };
    if (error instanceof InvalidCampaignError) {
      const field = /^([\w.]+):/.exec(error.message)?.[1];
      return { status: 400, body: errorBody(new ApiError(400, 'INVALID_CAMPAIGN', error.message, field)) };
    }
    throw error;
  }
}

/** A create the API refuses or cannot finish, with what the client should do. */
function launchRefusal(error: unknown): ApiError | undefined {
  if (error instanceof ImageUnavailableError) return new ApiError(409, 'IMAGE_UNAVAILABLE', error.message, 'imageId');
  if (error instanceof IdempotencyConflictError) return new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', error.message, 'Idempotency-Key');
  if (error instanceof WorkflowStartError) return new ApiError(503, 'WORKFLOW_NOT_STARTED', error.message);
  // Powertools' idempotency errors, by name (public contract of the library).
  if (error instanceof Error && error.name === 'IdempotencyValidationError') {
    return new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key: already used with another campaign definition; use a new key for a new campaign', 'Idempotency-Key');
  }
  if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') {
    return new ApiError(409, 'REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry in a few seconds', 'Idempotency-Key');
  }
  return undefined;
}
