/** Request schemas: the same definitions validate input and describe it. */
import { z } from 'zod';
import { FAILURE_REASONS } from '../../core/jobs/failureReason.ts';
import { ApiError } from './http.ts';

const lwm2mPath = z.string().regex(/^\/?\d{1,5}(\/\d{1,5}){0,3}$/, 'an LwM2M path such as /3/0/1');
/** Composite operations may also name the root. */
const compositePath = z.union([z.literal('/'), lwm2mPath]);
/** A resource value: bytes as { base64 }, times as ISO text or epoch seconds, object links as "3:0". */
const resourceValue = z.union([z.string().max(4096), z.number(), z.boolean(), z.object({ base64: z.string().max(65536) })]);
/** Values keyed by resource path, relative ("5700", "6/0") or absolute ("/3303/0/5700"). */
const resourceValues = z.record(z.string().regex(/^\/?\d{1,5}(\/\d{1,5}){0,3}$/, 'a resource path such as 5700 or /3303/0/5700'), resourceValue);
/** LwM2M 1.1 §5.4.5: `0='text',1`. */
const executeArguments = z.string().max(255).regex(/^(\d(='[^']*')?(,\d(='[^']*')?)*)?$/, "execute arguments such as 0='fast',1");

/** A failure reason a campaign may name (keys of `retry` and `abort.byReason`): a typo never silently fails to match. */
export const FailureReasonSchema = z.enum(FAILURE_REASONS);

export const DeviceOperationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('read'), path: lwm2mPath }),
  z.object({ kind: z.literal('discover'), path: lwm2mPath }),
  z.object({ kind: z.literal('write'), path: lwm2mPath, value: z.union([z.string(), z.number(), z.boolean()]), replace: z.boolean().optional() }),
  z.object({ kind: z.literal('writeInstance'), path: lwm2mPath, values: resourceValues, replace: z.boolean().optional() }),
  z.object({ kind: z.literal('execute'), path: lwm2mPath, args: executeArguments.optional() }),
  z.object({ kind: z.literal('writeAttributes'), path: lwm2mPath, attributes: z.partialRecord(z.enum(['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax']), z.number()) }),
  z.object({ kind: z.literal('create'), path: lwm2mPath, instanceId: z.number().int().min(0).max(65534).optional(), values: resourceValues }),
  z.object({ kind: z.literal('delete'), path: lwm2mPath }),
  z.object({ kind: z.literal('observe'), path: lwm2mPath }),
  z.object({ kind: z.literal('cancelObservation'), path: lwm2mPath }),
  z.object({ kind: z.literal('readComposite'), paths: z.array(compositePath).min(1).max(64) }),
  z.object({ kind: z.literal('writeComposite'), values: resourceValues }),
  z.object({ kind: z.literal('observeComposite'), paths: z.array(compositePath).min(1).max(64) }),
  z.object({ kind: z.literal('cancelObservationComposite'), paths: z.array(compositePath).min(1).max(64) }),
]);

export const DeviceOperationRequestSchema = z.object({
  operation: DeviceOperationSchema,
  /** How long the API waits for the device's answer before replying 202 (0: never wait). */
  waitSeconds: z.number().min(0).max(25).default(10),
  /** How long the request may wait for a sleeping device. */
  expiresInSeconds: z.number().int().min(1).max(7 * 86400).default(86400),
});

export const TelemetryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const DeviceListQuerySchema = z.object({
  /** Only devices whose registration is alive (true) or expired (false). */
  online: z.enum(['true', 'false']).optional(),
});

export function validate<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new ApiError(400, 'INVALID_REQUEST', `${field === '' ? 'request' : field}: ${issue?.message ?? 'invalid'}`, field === '' ? undefined : field);
  }
  return parsed.data;
}
