/**
 * The one configuration loader (STYLE.md §3): read from the environment once at start-up, typed,
 * with clear messages for bad values. CDK constructs never read it; they set the variables.
 */
import { z } from 'zod';

const StoreConfigSchema = z.object({
  FOTA_REGION: z.string().min(1).default('us-east-1'),
  FOTA_DYNAMODB_ENDPOINT: z.url().optional(),
  FOTA_S3_ENDPOINT: z.url().optional(),
  FOTA_DEVICES_TABLE: z.string().min(3).default('fota-devices'),
  FOTA_JOBS_TABLE: z.string().min(3).default('fota-jobs'),
  FOTA_CAMPAIGNS_TABLE: z.string().min(3).default('fota-campaigns'),
  FOTA_IMAGES_TABLE: z.string().min(3).default('fota-images'),
  FOTA_REQUESTS_TABLE: z.string().min(3).default('fota-requests'),
  FOTA_IMAGE_BUCKET: z.string().min(3).default('fota-images'),
});

export interface StoreConfig {
  readonly region: string;
  readonly dynamoDbEndpoint?: string;
  readonly s3Endpoint?: string;
  readonly tables: { readonly devices: string; readonly jobs: string; readonly campaigns: string; readonly images: string; readonly requests: string };
  readonly imageBucket: string;
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
    },
    imageBucket: e.FOTA_IMAGE_BUCKET,
  };
}

/** The environment variables that make `loadStoreConfig` return `config`: used by local and infra. */
export function storeConfigEnvironment(config: StoreConfig): Record<string, string> {
  return {
    FOTA_REGION: config.region,
    ...(config.dynamoDbEndpoint === undefined ? {} : { FOTA_DYNAMODB_ENDPOINT: config.dynamoDbEndpoint }),
    ...(config.s3Endpoint === undefined ? {} : { FOTA_S3_ENDPOINT: config.s3Endpoint }),
    FOTA_DEVICES_TABLE: config.tables.devices,
    FOTA_JOBS_TABLE: config.tables.jobs,
    FOTA_CAMPAIGNS_TABLE: config.tables.campaigns,
    FOTA_IMAGES_TABLE: config.tables.images,
    FOTA_REQUESTS_TABLE: config.tables.requests,
    FOTA_IMAGE_BUCKET: config.imageBucket,
  };
}
