/**
 * The audit trail of credential and image operations: `audited()` wraps the routes that change a
 * credential or an image and, once one succeeded, records who (the request's actor: the caller's
 * IAM ARN in AWS), what and when (store/AuditStore.ts); `GET /audit?subject=` reads a subject's
 * records. A refused operation changes nothing and leaves no record; a record that cannot be
 * written fails the request (500), so an operation never goes unrecorded silently.
 */
import { z } from 'zod';
import type { AuditSubject } from '../../../store/AuditStore.ts';
import type { ApiRequest, ApiResponse } from '../http.ts';
import { validate } from '../schemas.ts';
import { ok, type Route } from './types.ts';

/** What an audited route does, and the subject it concerns (from its path, or its answer for a create). */
interface AuditedOperation {
  readonly action: string;
  readonly subject: (params: Readonly<Record<string, string>>, body: Readonly<Record<string, unknown>>) => AuditSubject | undefined;
  /** Facts kept with the record; never a key. */
  readonly detail?: (params: Readonly<Record<string, string>>, body: Readonly<Record<string, unknown>>) => Readonly<Record<string, string>>;
}

const imageIdOf = (body: Readonly<Record<string, unknown>>): string | undefined => {
  const image = (typeof body['image'] === 'object' && body['image'] !== null ? body['image'] : body) as Record<string, unknown>;
  return typeof image['imageId'] === 'string' ? image['imageId'] : undefined;
};

/** The audited operations, by `METHOD path` of their route. */
const AUDITED: ReadonlyMap<string, AuditedOperation> = new Map<string, AuditedOperation>([
  ['PUT /devices/{endpoint}/credentials', {
    action: 'credential.provision',
    subject: (_params, body) => (typeof body['identity'] === 'string' ? `credential:${body['identity']}` : undefined),
    detail: ({ endpoint = '' }) => ({ endpoint }),
  }],
  ['DELETE /credentials/{identity}', { action: 'credential.revoke', subject: ({ identity = '' }) => `credential:${identity}` }],
  ['POST /images', { action: 'image.upload', subject: (_params, body) => (imageIdOf(body) === undefined ? undefined : `image:${imageIdOf(body) ?? ''}`) }],
  ['POST /images/{imageId}/complete', { action: 'image.complete', subject: ({ imageId = '' }) => `image:${imageId}` }],
  ['DELETE /images/{imageId}', { action: 'image.delete', subject: ({ imageId = '' }) => `image:${imageId}` }],
]);

/** The routes, those that change a credential or an image recording each success in the audit trail. */
export function audited(routes: readonly Route[]): Route[] {
  return routes.map((route) => {
    const operation = AUDITED.get(`${route.method} ${route.path}`);
    if (operation === undefined) return route;
    return {
      ...route,
      handle: async (deps, params, request: ApiRequest): Promise<ApiResponse> => {
        const response = await route.handle(deps, params, request);
        if (response.status < 200 || response.status >= 300) return response;
        const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<string, unknown>;
        const subject = operation.subject(params, body);
        if (subject !== undefined) {
          const detail = operation.detail?.(params, body);
          await deps.stores.audit.record({ subject, action: operation.action, actor: request.actor ?? 'unknown', at: (deps.clock ?? Date.now)(), ...(detail === undefined ? {} : { detail }) });
        }
        return response;
      },
    };
  });
}

export const AuditQuerySchema = z.object({
  /** `credential:<identity>` or `image:<imageId>`. */
  subject: z.string().regex(/^(credential|image):.+$/, 'credential:<identity> or image:<imageId>'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const auditRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/audit',
    summary: 'Who provisioned or revoked a credential, or uploaded, verified or deleted an image, and when (`?subject=credential:<identity>` or `image:<imageId>`), oldest first',
    query: AuditQuerySchema,
    handle: async ({ stores }, _params, request) => {
      const query = validate(AuditQuerySchema, request.query);
      return ok({ subject: query.subject, items: await stores.audit.list(query.subject as AuditSubject, query.limit) });
    },
  },
];
