import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigurationError } from '../store/config.ts';

const EdgeConfigSchema = z.object({
  FOTA_EDGE_PORT: z.coerce.number().int().min(0).max(65535).default(5683),
  /** CoAPS (DTLS 1.2 PSK) port; "off" runs no DTLS listener. */
  FOTA_EDGE_SECURE_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(5684),
  /** Serve NoSec CoAP on FOTA_EDGE_PORT too. Off unless explicitly enabled in AWS (infra sets it). */
  FOTA_EDGE_ALLOW_NOSEC: z.enum(['true', 'false']).default('true'),
  FOTA_EDGE_BIND_ADDRESS: z.string().default('0.0.0.0'),
  FOTA_EDGE_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Host[:port] devices use in Package URIs: the NLB's DNS name in AWS. */
  FOTA_EDGE_PUBLIC_HOST: z.string().min(1).optional(),
  FOTA_EDGE_TASK_ID: z.string().min(1).optional(),
  FOTA_EDGE_JOB_POLL_MS: z.coerce.number().int().min(100).default(2000),
  FOTA_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** A folder of OMA object definition (DDF) XML files: custom objects the codecs should know. */
  FOTA_OBJECT_MODELS_DIR: z.string().min(1).optional(),
  /** Validity of presigned S3 URLs for HTTP(S)-pull devices; 0 turns HTTP pull off. */
  FOTA_EDGE_HTTP_URL_EXPIRY_SECONDS: z.coerce.number().int().min(0).max(7 * 86400).default(900),
  /** On SIGTERM, how long job steps in flight may take to finish (below the ECS stop timeout of 30 s). */
  FOTA_EDGE_DRAIN_SECONDS: z.coerce.number().min(0).max(120).default(20),
  /** Wait for the answer to a request the device acknowledged with an empty ACK (RFC 7252 §5.2.2) before NO_RESPONSE. */
  FOTA_EDGE_SEPARATE_RESPONSE_SECONDS: z.coerce.number().min(1).max(3600).default(60),
});

export interface EdgeConfig {
  readonly port: number;
  readonly securePort?: number;
  readonly allowNoSec: boolean;
  readonly bindAddress: string;
  readonly healthPort: number;
  readonly publicHost?: string;
  readonly taskId: string;
  readonly jobPollIntervalMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly objectModelsDirectory?: string;
  readonly httpPackageUrlExpirySeconds: number;
  readonly drainSeconds: number;
  readonly separateResponseSeconds: number;
}

export function loadEdgeConfig(env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const parsed = EdgeConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid edge configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return {
    port: e.FOTA_EDGE_PORT,
    ...(e.FOTA_EDGE_SECURE_PORT === 'off' ? {} : { securePort: e.FOTA_EDGE_SECURE_PORT }),
    allowNoSec: e.FOTA_EDGE_ALLOW_NOSEC === 'true',
    bindAddress: e.FOTA_EDGE_BIND_ADDRESS,
    healthPort: e.FOTA_EDGE_HEALTH_PORT,
    ...(e.FOTA_EDGE_PUBLIC_HOST === undefined ? {} : { publicHost: e.FOTA_EDGE_PUBLIC_HOST }),
    // In ECS the task id comes from the metadata endpoint's task ARN; the hostname is unique per task too.
    taskId: e.FOTA_EDGE_TASK_ID ?? `${hostname()}-${process.pid}`,
    jobPollIntervalMs: e.FOTA_EDGE_JOB_POLL_MS,
    logLevel: e.FOTA_LOG_LEVEL,
    ...(e.FOTA_OBJECT_MODELS_DIR === undefined ? {} : { objectModelsDirectory: e.FOTA_OBJECT_MODELS_DIR }),
    httpPackageUrlExpirySeconds: e.FOTA_EDGE_HTTP_URL_EXPIRY_SECONDS,
    drainSeconds: e.FOTA_EDGE_DRAIN_SECONDS,
    separateResponseSeconds: e.FOTA_EDGE_SEPARATE_RESPONSE_SECONDS,
  };
}
