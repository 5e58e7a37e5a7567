/**
 * The REST API router: one table of routes (devices, images, campaigns), shared by the Lambda
 * behind API Gateway and the local HTTP server. Errors come out as `{ error: { code, message,
 * field? } }` with 400 (bad input, field named), 404 (unknown id), 405, 409 (illegal action).
 */
import { ApiError, errorBody, type ApiRequest, type ApiResponse } from '../http.ts';
import { InvalidCampaignError } from '../launchCampaign.ts';
import { campaignRoutes } from './campaigns.ts';
import { deviceRoutes } from './devices.ts';
import { imageRoutes } from './images.ts';
import type { ApiDependencies, Route } from './types.ts';

export type { ApiDependencies, Route } from './types.ts';

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/health', summary: 'Liveness', handle: async () => ({ status: 200, body: { status: 'ok' } }) },
  ...deviceRoutes,
  ...imageRoutes,
  ...campaignRoutes,
];

const COMPILED = ROUTES.map((route) => ({
  route,
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

export async function routeApiRequest(deps: ApiDependencies, request: ApiRequest): Promise<ApiResponse> {
  try {
    const path = request.path.replace(/\/+$/, '') || '/';
    let methodMismatch = false;
    for (const { route, names, pattern } of COMPILED) {
      const match = pattern.exec(path);
      if (match === null) continue;
      if (route.method !== request.method) {
        methodMismatch = true;
        continue;
      }
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
      return await route.handle(deps, params, request);
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
