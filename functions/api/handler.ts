/**
 * Lambda handler behind API Gateway (HTTP API, IAM authorization): adapts the event to the
 * router. Campaign executions start through Step Functions' StartExecution.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { routeApiRequest } from './routes/index.ts';
import { handlerStores } from '../shared/context.ts';
import { rolesOfCallerArn } from '../../core/access/roles.ts';
import { loadStoreConfig } from '../../store/config.ts';
import type { ExecutionStarter } from './launchCampaign.ts';

interface HttpApiEvent {
  readonly rawPath: string;
  readonly rawQueryString?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** HTTP API payload 2.0: header names in lower case. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext: {
    readonly http: { readonly method: string };
    readonly authorizer?: { readonly iam?: { readonly userArn?: string; readonly cognitoIdentity?: { readonly identityId?: string } } };
  };
}

const sfn = new SFNClient({});

let approvers: number | undefined;
/** The stage's four-eyes default, read once (FOTA_DEFAULT_APPROVERS). */
const defaultApprovers = (): number => (approvers ??= loadStoreConfig().defaultApprovers ?? 1);

/**
 * Starts the execution and waits for Step Functions to accept it before the API answers (a
 * started-later promise can be frozen with the Lambda). The name is the campaign id: an execution
 * that already has it (a retried create) counts as started.
 */
class StepFunctionsStarter implements ExecutionStarter {
  constructor(private readonly stateMachineArn: string) {}

  async startExecution(input: Record<string, unknown>, name: string): Promise<{ executionId: string }> {
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    }
    return { executionId: name };
  }
}

export async function handler(event: HttpApiEvent): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  // Only the unauthenticated OPTIONS /{proxy+} route (CORS, infra/constructs/FotaApi.ts) sends
  // OPTIONS here, should API Gateway ever forward a preflight: an empty answer, no store touched.
  if (event.requestContext.http.method === 'OPTIONS') return { statusCode: 204, headers: {}, body: '' };
  const body = event.body === undefined ? undefined : event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const callerArn = event.requestContext.authorizer?.iam?.userArn ?? 'unknown';
  // Every dashboard user of a group shares the group role's session ARN: the Cognito identity tells
  // them apart (audit trail, four eyes).
  const identityId = event.requestContext.authorizer?.iam?.cognitoIdentity?.identityId;
  const actor = identityId === undefined ? callerArn : `${callerArn} (cognito ${identityId})`;
  const response = await routeApiRequest(
    { stores: handlerStores(), starter: new StepFunctionsStarter(process.env['FOTA_STATE_MACHINE_ARN'] ?? ''), defaultApprovers: defaultApprovers() },
    {
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
      ...(body === undefined ? {} : { body }),
      actor,
      // IAM already decided the call; the roles tell the dashboard what to offer (GET /whoami).
      roles: rolesOfCallerArn(callerArn),
      headers: Object.fromEntries(Object.entries(event.headers ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
    },
  );
  return { statusCode: response.status, headers: { 'content-type': 'application/json', ...response.headers }, body: JSON.stringify(response.body) };
}
