/**
 * Lambda handler behind API Gateway (HTTP API, IAM authorization): adapts the event to the
 * router, and logs one line per request carrying its correlation ids (API Gateway's request id,
 * and the campaign the request is about). Campaign executions start through Step Functions'
 * StartExecution (functions/shared/stepFunctions.ts).
 */
import { awsApiDependencies, lambdaEntry } from '../shared/awsDependencies.ts';
import type { ApiHandlerDependencies } from '../shared/dependencies.ts';
import { correlatedLogger, traced, type CorrelationIds } from '../shared/observability.ts';
import { routeApiRequest } from './routes/index.ts';
import { rolesOfCallerArn } from '../../core/access/roles.ts';

export interface HttpApiEvent {
  readonly rawPath: string;
  readonly rawQueryString?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** HTTP API payload 2.0: header names in lower case. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext: {
    readonly requestId?: string;
    readonly http: { readonly method: string };
    readonly authorizer?: { readonly iam?: { readonly userArn?: string; readonly cognitoIdentity?: { readonly identityId?: string } } };
  };
}

export interface HttpApiResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function createApiHandler(deps: ApiHandlerDependencies): (event: HttpApiEvent) => Promise<HttpApiResult> {
  return async (event) => {
    const method = event.requestContext.http.method;
    // Only the unauthenticated OPTIONS /{proxy+} route (CORS, infra/constructs/FotaApi.ts) sends
    // OPTIONS here, should API Gateway ever forward a preflight: an empty answer, no store touched.
    if (method === 'OPTIONS') return { statusCode: 204, headers: {}, body: '' };
    const ids: CorrelationIds = { ...(event.requestContext.requestId === undefined ? {} : { requestId: event.requestContext.requestId }), ...campaignOfPath(event.rawPath) };
    return traced(deps.tracer, 'api', ids, async () => {
      const started = performance.now();
      const body = event.body === undefined ? undefined : event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const callerArn = event.requestContext.authorizer?.iam?.userArn ?? 'unknown';
      // Every dashboard user of a group shares the group role's session ARN: the Cognito identity
      // tells them apart (audit trail, four eyes).
      const identityId = event.requestContext.authorizer?.iam?.cognitoIdentity?.identityId;
      const request = {
        method,
        path: event.rawPath,
        query: Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
        ...(body === undefined ? {} : { body }),
        actor: identityId === undefined ? callerArn : `${callerArn} (cognito ${identityId})`,
        // IAM already decided the call; the roles tell the dashboard what to offer (GET /whoami).
        roles: rolesOfCallerArn(callerArn),
        headers: Object.fromEntries(Object.entries(event.headers ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
      };
      const line = (status: number) => ({ method, path: event.rawPath, status, durationMs: Math.round(performance.now() - started) });
      let response;
      try {
        response = await routeApiRequest(deps, request);
      } catch (error) {
        // Logged here, where it leaves the function: API Gateway answers the client 500.
        correlatedLogger(deps.logger, ids).error('api request failed', { ...line(500), error });
        throw error;
      }
      // A created campaign is named in the answer: its id joins the request's line.
      correlatedLogger(deps.logger, { ...ids, ...campaignOfAnswer(response.body) }).info('api request', line(response.status));
      return { statusCode: response.status, headers: { 'content-type': 'application/json', ...response.headers }, body: JSON.stringify(response.body) };
    });
  };
}

/** `/campaigns/{campaignId}` and what is under it; `dry-run` names no campaign. */
function campaignOfPath(path: string): Pick<CorrelationIds, 'campaignId'> {
  const match = /^\/campaigns\/([^/]+)/.exec(path);
  const segment = match?.[1];
  return segment === undefined || segment === 'dry-run' ? {} : { campaignId: decodeURIComponent(segment) };
}

function campaignOfAnswer(body: unknown): Pick<CorrelationIds, 'campaignId'> {
  if (typeof body !== 'object' || body === null || !('campaignId' in body) || typeof body.campaignId !== 'string') return {};
  return { campaignId: body.campaignId };
}

export const handler = lambdaEntry(async () => createApiHandler(await awsApiDependencies()));
