import type { z } from 'zod';
import type { Stores } from '../../../store/Stores.ts';
import type { ApiRequest, ApiResponse } from '../http.ts';
import type { ExecutionStarter } from '../launchCampaign.ts';

export interface ApiDependencies {
  readonly stores: Stores;
  readonly starter: ExecutionStarter;
  readonly clock?: () => number;
  /** How many people a campaign needs when it does not say (`approvers`): the stage's four-eyes default. @default 1 */
  readonly defaultApprovers?: number;
}

/**
 * One API operation: method, path pattern (`{name}` segments), the schemas that validate its body
 * and its query parameters (also the source of the OpenAPI document), and its handler.
 */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly summary: string;
  readonly body?: z.ZodType;
  /** Query parameters, each a string on the wire (use z.coerce or z.enum of strings). */
  readonly query?: z.ZodObject;
  readonly handle: (deps: ApiDependencies, params: Readonly<Record<string, string>>, request: ApiRequest) => Promise<ApiResponse>;
}

export const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });
