/**
 * The REST API: an HTTP API with IAM (SigV4) authorization in front of one Lambda function that
 * runs the same router as the local stack (functions/api/handler.ts). Access logs go to
 * CloudWatch; the function may start campaign executions, presign image uploads and downloads
 * under images/, and seal device keys with the credential key. With `corsAllowOrigins` (the
 * dashboard's CloudFront origin), browsers on those origins may send signed GETs.
 */
import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { FotaStorage } from './FotaStorage.ts';
import { EVENT_BUS_ENV } from './WorkflowFunctions.ts';
import { CREDENTIAL_CONTEXT_KEYS } from './credentialKeyPolicy.ts';

export interface FotaApiProps {
  readonly storage: FotaStorage;
  readonly stateMachine: sfn.IStateMachine;
  readonly eventBus?: events.IEventBus;
  /** @default 3 months */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Browser origins that may call the API (CORS), for GET only, such as the dashboard's
   * `https://<distribution>.cloudfront.net`. @default none: no CORS, no unauthenticated route
   */
  readonly corsAllowOrigins?: readonly string[];
  /** Signer public keys of firmware images, checked at upload. @default none */
  readonly imageSigners?: readonly { readonly name: string; readonly publicKeyPem: string }[];
  /** Refuse unsigned firmware images. @default false */
  readonly requireSignedImages?: boolean;
  /**
   * Concurrent executions reserved for (and capping) the API function: device operations hold one
   * for up to 25 s, so without a cap a burst could take the account's whole Lambda concurrency from
   * the campaign workflow. Throttled requests answer 5xx and raise the ApiThrottles alarm. @default 50
   */
  readonly reservedConcurrency?: number;
  /** IAM path of the function's role: the one FotaStorage's credentialKeyUsers lets seal device keys. @default '/fota/api/' */
  readonly rolePath?: string;
  /** Customer-managed key of the function's and the access logs' log groups. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
  /** Days device requests are kept (FOTA_RETENTION_DAYS, DynamoDB TTL). @default the store's, 90 */
  readonly retentionDays?: number;
  /** How many people a campaign needs when it does not say (FOTA_DEFAULT_APPROVERS). @default 1 */
  readonly defaultApprovers?: number;
}

/**
 * One JSON object per request, in HTTP API variables (not REST API ones such as
 * `$context.resourcePath`): who called (IAM caller ARN, and the Cognito identity when the caller
 * signed in through the dashboard's identity pool), which route, the answer and how long it took.
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    callerArn: '$context.identity.userArn',
    cognitoIdentityId: '$context.identity.cognitoIdentityId',
    cognitoIdentityPoolId: '$context.identity.cognitoIdentityPoolId',
    cognitoAuthenticationProvider: '$context.identity.cognitoAuthenticationProvider',
  }),
);

/** The request headers of a SigV4-signed browser request, which the CORS preflight must allow. */
export const SIGV4_REQUEST_HEADERS = ['authorization', 'content-type', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token'] as const;

export class FotaApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly handler: nodejs.NodejsFunction;
  readonly role: iam.Role;
  /** The unauthenticated `OPTIONS /{proxy+}` route, present when CORS is on. */
  readonly preflightRoute: apigw.HttpRoute | undefined;

  constructor(scope: Construct, id: string, props: FotaApiProps) {
    super(scope, id);
    const { storage } = props;
    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const encryption = props.logKey === undefined ? {} : { encryptionKey: props.logKey };
    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention, ...encryption });
    this.role = new iam.Role(this, 'HandlerRole', { path: props.rolePath ?? '/fota/api/', assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'FOTA REST API' });
    logGroup.grantWrite(this.role);
    this.handler = new nodejs.NodejsFunction(this, 'Handler', {
      entry: fileURLToPath(new URL('../../functions/api/handler.ts', import.meta.url)),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      // Device operations wait up to 25 s for the device before answering 202.
      timeout: Duration.seconds(29),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 50,
      role: this.role,
      logGroup,
      environment: {
        FOTA_DEVICES_TABLE: storage.devices.tableName,
        FOTA_JOBS_TABLE: storage.jobs.tableName,
        FOTA_CAMPAIGNS_TABLE: storage.campaigns.tableName,
        FOTA_IMAGES_TABLE: storage.images.tableName,
        FOTA_REQUESTS_TABLE: storage.requests.tableName,
        FOTA_TELEMETRY_TABLE: storage.telemetry.tableName,
        FOTA_CREDENTIALS_TABLE: storage.credentials.tableName,
        FOTA_CLAIMS_TABLE: storage.claims.tableName,
        FOTA_IDEMPOTENCY_TABLE: storage.idempotency.tableName,
        FOTA_AUDIT_TABLE: storage.audit.tableName,
        FOTA_KMS_KEY_ID: storage.credentialKey.keyArn,
        FOTA_IMAGE_BUCKET: storage.imageBucket.bucketName,
        FOTA_STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        // Public keys only: nothing secret in the function's environment.
        FOTA_IMAGE_SIGNERS: JSON.stringify(props.imageSigners ?? []),
        FOTA_REQUIRE_SIGNED_IMAGES: String(props.requireSignedImages === true),
        ...(props.eventBus === undefined ? {} : { [EVENT_BUS_ENV]: props.eventBus.eventBusName }),
        ...(props.retentionDays === undefined ? {} : { FOTA_RETENTION_DAYS: String(props.retentionDays) }),
        ...(props.defaultApprovers === undefined ? {} : { FOTA_DEFAULT_APPROVERS: String(props.defaultApprovers) }),
      },
      bundling: { minify: true, sourceMap: true, target: 'node24' },
    });
    // Audit records are put and read (routes/audit.ts); no code deletes them.
    storage.grantReadWriteData(this.role, 'devices', 'jobs', 'requests', 'audit');
    // Deletes: an unstarted campaign discarded, an image deleted, a credential revoked (and its
    // marker), an idempotency record of a failed request (Powertools).
    storage.grantTables(this.role, ['read', 'write', 'delete'], ['campaigns', 'images', 'credentials', 'idempotency']);
    // Claims are read by the dry run (DEVICE_BUSY); only the workflow writes them.
    storage.grantReadData(this.role, 'telemetry', 'claims');
    // The image bucket's objects are encrypted with the data key when the stage has one (presigned uploads and downloads run as this role).
    storage.grantDataKey(this.role, true);
    // Sealing only: the API never decrypts a device key (the edge does), and seals each with its
    // {identity, endpoint} context (the key policy requires it too).
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [storage.credentialKey.keyArn],
      conditions: { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...CREDENTIAL_CONTEXT_KEYS] }, Null: { 'kms:EncryptionContextKeys': 'false' } },
    }));
    this.role.addManagedPolicy(storage.imageManagePolicy);
    props.stateMachine.grantStartExecution(this.role);
    props.eventBus?.grantPutEventsTo(this.role);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention, ...encryption });
    const router = new HttpLambdaIntegration('Router', this.handler);
    const cors = props.corsAllowOrigins !== undefined && props.corsAllowOrigins.length > 0;
    this.api = new apigw.HttpApi(this, 'HttpApi', {
      description: 'LwM2M FOTA REST API (IAM authorization)',
      defaultIntegration: router,
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: false,
      ...(cors
        ? {
            corsPreflight: {
              allowOrigins: [...(props.corsAllowOrigins ?? [])],
              // POST: the dashboard's campaign actions, for those whose role allows them.
              allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.OPTIONS],
              allowHeaders: [...SIGV4_REQUEST_HEADERS],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    if (cors) {
      // A browser sends the preflight without credentials, and the IAM-authorized $default route
      // catches OPTIONS too: AWS docs ("Configuring CORS for an HTTP API") prescribe an
      // unauthorized OPTIONS /{proxy+} route, which outranks $default. API Gateway answers the
      // preflight from the CORS configuration; nothing but OPTIONS is routed here.
      this.preflightRoute = this.api.addRoutes({ path: '/{proxy+}', methods: [apigw.HttpMethod.OPTIONS], integration: router, authorizer: new apigw.HttpNoneAuthorizer() })[0];
    } else {
      this.preflightRoute = undefined;
    }
    new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
      throttle: { rateLimit: 100, burstLimit: 200 },
    });
  }
}
