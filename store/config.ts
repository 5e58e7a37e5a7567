/**
 * The one configuration loader (STYLE.md §3): read from the environment once at start-up, typed,
 * with clear messages for bad values. CDK constructs never read it; they set the variables.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ImageSigningPolicy, SignerKeyConfig } from './imageSigning.ts';

const SignerKeysSchema = z.array(z.object({ name: z.string().min(1).max(100), publicKeyPem: z.string().min(1) }).strict());

const StoreConfigSchema = z.object({
  FOTA_REGION: z.string().min(1).default('us-east-1'),
  FOTA_DYNAMODB_ENDPOINT: z.url().optional(),
  FOTA_S3_ENDPOINT: z.url().optional(),
  FOTA_DEVICES_TABLE: z.string().min(3).default('fota-devices'),
  FOTA_JOBS_TABLE: z.string().min(3).default('fota-jobs'),
  FOTA_CAMPAIGNS_TABLE: z.string().min(3).default('fota-campaigns'),
  FOTA_IMAGES_TABLE: z.string().min(3).default('fota-images'),
  FOTA_REQUESTS_TABLE: z.string().min(3).default('fota-requests'),
  FOTA_TELEMETRY_TABLE: z.string().min(3).default('fota-telemetry'),
  FOTA_CREDENTIALS_TABLE: z.string().min(3).default('fota-credentials'),
  FOTA_CLAIMS_TABLE: z.string().min(3).default('fota-device-claims'),
  FOTA_IDEMPOTENCY_TABLE: z.string().min(3).default('fota-idempotency'),
  FOTA_AUDIT_TABLE: z.string().min(3).default('fota-audit'),
  /** File holding the 256-bit key that encrypts device PSKs at rest (created on first use). */
  FOTA_KEY_FILE: z.string().min(1).default('.local-data/credentials.key'),
  /** KMS key (id, ARN or alias) for envelope encryption of device PSKs: used instead of the key file when set. */
  FOTA_KMS_KEY_ID: z.string().min(1).optional(),
  /** Publish device events to this EventBridge bus; without it they stay in process (and FOTA_EVENTS_FILE). */
  FOTA_EVENT_BUS_NAME: z.string().min(1).optional(),
  /** Local runs: append every event to this JSON Lines file. */
  FOTA_EVENTS_FILE: z.string().min(1).optional(),
  FOTA_IMAGE_BUCKET: z.string().min(3).default('fota-images'),
  /** Signer public keys of firmware images, JSON: [{ "name": ..., "publicKeyPem": ... }]. */
  FOTA_IMAGE_SIGNERS: z.string().min(1).optional(),
  /** The same list in a JSON file (local runs); used when FOTA_IMAGE_SIGNERS is not set. */
  FOTA_IMAGE_SIGNERS_FILE: z.string().min(1).optional(),
  /** `true`: refuse unsigned images. */
  FOTA_REQUIRE_SIGNED_IMAGES: z.enum(['true', 'false']).default('false'),
  /** Campaign notifications are also POSTed here (JSON). */
  FOTA_NOTIFY_WEBHOOK_URL: z.url().optional(),
  /** The dashboard's address: each campaign notification links to the campaign's page under it. */
  FOTA_DASHBOARD_URL: z.url().optional(),
  /** How many people a campaign needs when it does not say (`approvers`): 2 turns four eyes on for every campaign. */
  FOTA_DEFAULT_APPROVERS: z.enum(['1', '2']).default('1'),
  /** Days telemetry values and device requests are kept before DynamoDB TTL deletes them. */
  FOTA_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
});

export interface StoreConfig {
  readonly region: string;
  readonly dynamoDbEndpoint?: string;
  readonly s3Endpoint?: string;
  readonly tables: {
    readonly devices: string;
    readonly jobs: string;
    readonly campaigns: string;
    readonly images: string;
    readonly requests: string;
    readonly telemetry: string;
    readonly credentials: string;
    /** Which campaign holds each device (one firmware job per device at a time). */
    readonly claims: string;
    /** Idempotency records of campaign creation. */
    readonly idempotency: string;
    /** Audit records of credential and image operations. */
    readonly audit: string;
  };
  readonly keyFile: string;
  readonly kmsKeyId?: string;
  readonly imageBucket: string;
  /** Who may sign firmware images, and whether unsigned ones are refused; absent: unsigned images accepted. */
  readonly imageSigning?: ImageSigningPolicy;
  /** EventBridge bus for device events; events stay in process when absent. */
  readonly eventBusName?: string;
  /** JSON Lines file the in-process event publisher appends to. */
  readonly eventsFile?: string;
  /** Where campaign notifications go besides the event bus, and what they link to. */
  readonly notifications?: NotificationConfig;
  /** The stage's four-eyes default (a campaign's `approvers` wins). @default 1 */
  readonly defaultApprovers?: number;
  /** Days telemetry values and device requests are kept (DynamoDB TTL). @default 90 */
  readonly retentionDays?: number;
}

export interface NotificationConfig {
  readonly webhookUrl?: string;
  readonly dashboardUrl?: string;
}

export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

export function loadStoreConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const parsed = StoreConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`Invalid store configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    region: e.FOTA_REGION,
    ...(e.FOTA_DYNAMODB_ENDPOINT === undefined ? {} : { dynamoDbEndpoint: e.FOTA_DYNAMODB_ENDPOINT }),
    ...(e.FOTA_S3_ENDPOINT === undefined ? {} : { s3Endpoint: e.FOTA_S3_ENDPOINT }),
    tables: {
      devices: e.FOTA_DEVICES_TABLE,
      jobs: e.FOTA_JOBS_TABLE,
      campaigns: e.FOTA_CAMPAIGNS_TABLE,
      images: e.FOTA_IMAGES_TABLE,
      requests: e.FOTA_REQUESTS_TABLE,
      telemetry: e.FOTA_TELEMETRY_TABLE,
      credentials: e.FOTA_CREDENTIALS_TABLE,
      claims: e.FOTA_CLAIMS_TABLE,
      idempotency: e.FOTA_IDEMPOTENCY_TABLE,
      audit: e.FOTA_AUDIT_TABLE,
    },
    keyFile: e.FOTA_KEY_FILE,
    ...(e.FOTA_KMS_KEY_ID === undefined ? {} : { kmsKeyId: e.FOTA_KMS_KEY_ID }),
    imageBucket: e.FOTA_IMAGE_BUCKET,
    imageSigning: { signers: signerKeys(e.FOTA_IMAGE_SIGNERS, e.FOTA_IMAGE_SIGNERS_FILE), requireSignedImages: e.FOTA_REQUIRE_SIGNED_IMAGES === 'true' },
    ...(e.FOTA_EVENT_BUS_NAME === undefined ? {} : { eventBusName: e.FOTA_EVENT_BUS_NAME }),
    ...(e.FOTA_EVENTS_FILE === undefined ? {} : { eventsFile: e.FOTA_EVENTS_FILE }),
    notifications: {
      ...(e.FOTA_NOTIFY_WEBHOOK_URL === undefined ? {} : { webhookUrl: e.FOTA_NOTIFY_WEBHOOK_URL }),
      ...(e.FOTA_DASHBOARD_URL === undefined ? {} : { dashboardUrl: e.FOTA_DASHBOARD_URL }),
    },
    defaultApprovers: Number(e.FOTA_DEFAULT_APPROVERS),
    ...(e.FOTA_RETENTION_DAYS === undefined ? {} : { retentionDays: e.FOTA_RETENTION_DAYS }),
  };
}

/**
 * Image signing settings alone (the local stack builds the rest of its configuration itself):
 * FOTA_IMAGE_SIGNERS or FOTA_IMAGE_SIGNERS_FILE, and FOTA_REQUIRE_SIGNED_IMAGES.
 */
export function loadImageSigningPolicy(env: NodeJS.ProcessEnv = process.env): ImageSigningPolicy {
  const require = env['FOTA_REQUIRE_SIGNED_IMAGES'] ?? 'false';
  if (require !== 'true' && require !== 'false') throw new ConfigurationError(`Invalid store configuration: FOTA_REQUIRE_SIGNED_IMAGES: true or false, got ${require}`);
  return { signers: signerKeys(env['FOTA_IMAGE_SIGNERS'], env['FOTA_IMAGE_SIGNERS_FILE']), requireSignedImages: require === 'true' };
}

/** Parses the signer keys from FOTA_IMAGE_SIGNERS, else from the file FOTA_IMAGE_SIGNERS_FILE names. */
function signerKeys(inline: string | undefined, file: string | undefined): SignerKeyConfig[] {
  let text = inline;
  let source = 'FOTA_IMAGE_SIGNERS';
  if (text === undefined && file !== undefined) {
    source = `FOTA_IMAGE_SIGNERS_FILE (${file})`;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigurationError(`Invalid store configuration: ${source}: cannot read it`, { cause: error });
    }
  }
  if (text === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`Invalid store configuration: ${source}: not JSON`, { cause: error });
  }
  const parsed = SignerKeysSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid store configuration: ${source}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data;
}
