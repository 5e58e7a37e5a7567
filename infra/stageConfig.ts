/**
 * Per-environment settings of the CDK app, parsed from CDK context (`cdk.json`, or
 * `cdk synth -c stage=prod -c edgeDesiredCount=4`). Only infra/FotaApp.ts reads context; it hands
 * the raw values here and passes the typed result to stacks as props (STYLE.md §3).
 */
import { createPublicKey } from 'node:crypto';
import * as logs from 'aws-cdk-lib/aws-logs';

/** The context keys the app reads, each documented on `StageConfig`. */
export const STAGE_CONTEXT_KEYS = [
  'stage', 'publicHost', 'edgeDesiredCount', 'logRetentionDays', 'retainData', 'allowNoSec', 'requireSignedImages', 'imageSigners', 'alarmEmail',
  'customerManagedKeys', 'retentionDays', 'dashboardDomain', 'dashboardCertificateArn', 'defaultApprovers',
] as const;
export type StageContextKey = (typeof STAGE_CONTEXT_KEYS)[number];
/** Raw context values by key, as `node.tryGetContext` returns them. */
export type StageContext = Readonly<Partial<Record<StageContextKey, unknown>>>;

export interface StageConfig {
  /** `stage`: names the stacks (`Fota-<stage>-Edge`). @default 'dev' */
  readonly stage: string;
  /**
   * `publicHost`: the host name devices use (a CNAME to the NLB). Required for prod: devices keep
   * it for years, and the NLB's own DNS name changes whenever the NLB is replaced.
   * @default the NLB's DNS name (other stages)
   */
  readonly publicHost?: string;
  /** `edgeDesiredCount`: edge tasks, and the floor of auto scaling. @default 2 */
  readonly edgeDesiredCount: number;
  /** `logRetentionDays`: one of CloudWatch's retention values. @default 365 for prod, 90 otherwise */
  readonly logRetention: logs.RetentionDays;
  /** `retainData`: keep tables and buckets on stack deletion. @default true (and required for prod) */
  readonly retainData: boolean;
  /** `allowNoSec`: open NoSec CoAP on UDP 5683 besides CoAPS on 5684. @default false: NoSec only when enabled */
  readonly allowNoSec: boolean;
  /** `requireSignedImages`: refuse firmware images without a signature by one of `imageSigners`. @default false */
  readonly requireSignedImages: boolean;
  /**
   * `imageSigners`: who may sign firmware images, `[{ "name": ..., "publicKeyPem": ... }]` (Ed25519
   * or ECDSA P-256 SPKI PEM), as JSON in cdk.json or a JSON string with `-c`. @default none
   */
  readonly imageSigners: readonly ImageSignerKey[];
  /** `alarmEmail`: an address subscribed to the alarm topic (it must confirm the subscription). @default none */
  readonly alarmEmail?: string;
  /**
   * `customerManagedKeys`: encrypt tables, the image bucket, backups and log groups with a
   * customer-managed KMS key of the stage (rotated yearly) instead of AWS-owned keys.
   * @default true for prod, false otherwise
   */
  readonly customerManagedKeys: boolean;
  /** `retentionDays`: how long telemetry values and device requests are kept (DynamoDB TTL). @default 90 */
  readonly retentionDays: number;
  /** `defaultApprovers`: 1, or 2 for four eyes on every campaign that does not say (`approvers`). @default 1 */
  readonly defaultApprovers: 1 | 2;
  /** `dashboardDomain` + `dashboardCertificateArn` (ACM, us-east-1): the dashboard on this name with TLS 1.2 or later. @default none: *.cloudfront.net */
  readonly dashboardDomain?: DashboardDomain;
}

/** The dashboard's own host name and its ACM certificate (CloudFront takes certificates from us-east-1 only). */
export interface DashboardDomain {
  readonly domainName: string;
  readonly certificateArn: string;
}

/** A signer public key of firmware images, as the API function receives it (FOTA_IMAGE_SIGNERS). */
export interface ImageSignerKey {
  readonly name: string;
  readonly publicKeyPem: string;
}

export class StageConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StageConfigurationError';
  }
}

const PRODUCTION_STAGE = 'prod';
const RETENTION_DAYS: ReadonlySet<number> = new Set(Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number'));

/** Parses raw context values; `-c key=value` gives strings, cdk.json gives JSON types: both are accepted. */
export function parseStageConfig(context: StageContext): StageConfig {
  const stage = optionalString(context, 'stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new StageConfigurationError(`context stage must be lower-case letters, digits and hyphens (it names CloudFormation stacks), got "${stage}"`);
  }
  const production = stage === PRODUCTION_STAGE;
  const retainData = optionalBoolean(context, 'retainData') ?? true;
  if (production && !retainData) {
    throw new StageConfigurationError('context retainData=false is refused for stage prod: deleting the stack would delete the device registry and job history');
  }
  const edgeDesiredCount = optionalInteger(context, 'edgeDesiredCount') ?? 2;
  if (edgeDesiredCount < 1) throw new StageConfigurationError(`context edgeDesiredCount must be at least 1, got ${edgeDesiredCount}`);
  const logRetentionDays = optionalInteger(context, 'logRetentionDays') ?? (production ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.THREE_MONTHS);
  if (!RETENTION_DAYS.has(logRetentionDays)) {
    throw new StageConfigurationError(`context logRetentionDays must be one of ${[...RETENTION_DAYS].join(', ')}, got ${logRetentionDays}`);
  }
  const publicHost = optionalString(context, 'publicHost');
  if (production && publicHost === undefined) {
    throw new StageConfigurationError(
      'context publicHost is required for stage prod (e.g. -c publicHost=lwm2m.example.com, a CNAME to the NLB): devices keep the host they are given, ' +
        'and the NLB DNS name changes if the load balancer is ever replaced',
    );
  }
  const alarmEmail = optionalString(context, 'alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new StageConfigurationError(`context alarmEmail must be an e-mail address, got "${alarmEmail}"`);
  }
  return {
    stage,
    ...(publicHost === undefined ? {} : { publicHost }),
    edgeDesiredCount,
    logRetention: logRetentionDays as logs.RetentionDays,
    retainData,
    allowNoSec: optionalBoolean(context, 'allowNoSec') ?? false,
    ...imageSigning(context),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    customerManagedKeys: optionalBoolean(context, 'customerManagedKeys') ?? production,
    retentionDays: retentionDays(context),
    defaultApprovers: defaultApprovers(context),
    ...dashboardDomain(context),
  };
}

function defaultApprovers(context: StageContext): 1 | 2 {
  const approvers = optionalInteger(context, 'defaultApprovers') ?? 1;
  if (approvers !== 1 && approvers !== 2) throw new StageConfigurationError(`context defaultApprovers must be 1 or 2, got ${approvers}`);
  return approvers;
}

function retentionDays(context: StageContext): number {
  const days = optionalInteger(context, 'retentionDays') ?? 90;
  if (days < 1 || days > 3650) throw new StageConfigurationError(`context retentionDays must be between 1 and 3650, got ${days}`);
  return days;
}

function dashboardDomain(context: StageContext): Pick<StageConfig, 'dashboardDomain'> {
  const domainName = optionalString(context, 'dashboardDomain');
  const certificateArn = optionalString(context, 'dashboardCertificateArn');
  if (domainName === undefined && certificateArn === undefined) return {};
  if (domainName === undefined || certificateArn === undefined) {
    throw new StageConfigurationError('context dashboardDomain and dashboardCertificateArn go together: the domain needs its certificate and the certificate its domain');
  }
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName)) {
    throw new StageConfigurationError(`context dashboardDomain must be a lower-case DNS name, got "${domainName}"`);
  }
  if (!/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
    throw new StageConfigurationError(`context dashboardCertificateArn must be an ACM certificate ARN in us-east-1 (CloudFront's region), got "${certificateArn}"`);
  }
  return { dashboardDomain: { domainName, certificateArn } };
}

function imageSigning(context: StageContext): Pick<StageConfig, 'requireSignedImages' | 'imageSigners'> {
  const requireSignedImages = optionalBoolean(context, 'requireSignedImages') ?? false;
  let raw = context.imageSigners;
  if (typeof raw === 'string' && raw !== '') {
    try {
      raw = JSON.parse(raw) as unknown;
    } catch (error) {
      throw new StageConfigurationError('context imageSigners must be JSON: [{ "name": ..., "publicKeyPem": ... }]', { cause: error });
    }
  }
  const list: unknown[] = raw === undefined || raw === null || raw === '' ? [] : Array.isArray(raw) ? raw : [raw];
  const imageSigners = list.map((entry, i): ImageSignerKey => {
    const { name, publicKeyPem } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof name !== 'string' || name === '' || typeof publicKeyPem !== 'string') {
      throw new StageConfigurationError(`context imageSigners[${i}] must be { "name": string, "publicKeyPem": string }`);
    }
    let key;
    try {
      key = createPublicKey(publicKeyPem);
    } catch (error) {
      throw new StageConfigurationError(`context imageSigners[${i}] (${name}): publicKeyPem is not a PEM public key`, { cause: error });
    }
    const supported = key.asymmetricKeyType === 'ed25519' || (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
    if (!supported) throw new StageConfigurationError(`context imageSigners[${i}] (${name}): only Ed25519 and ECDSA P-256 keys sign images`);
    return { name, publicKeyPem };
  });
  if (requireSignedImages && imageSigners.length === 0) {
    throw new StageConfigurationError('context requireSignedImages=true needs at least one key in imageSigners: otherwise no image could ever be uploaded');
  }
  return { requireSignedImages, imageSigners };
}

function optionalString(context: StageContext, key: StageContextKey): string | undefined {
  const value = context[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new StageConfigurationError(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function optionalBoolean(context: StageContext, key: StageContextKey): boolean | undefined {
  const value = context[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new StageConfigurationError(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
}

function optionalInteger(context: StageContext, key: StageContextKey): number | undefined {
  const value = context[key];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new StageConfigurationError(`context ${key} must be a whole number, got ${JSON.stringify(value)}`);
  return number;
}
