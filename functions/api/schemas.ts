/** Request schemas: the same definitions validate input and describe it. */
import { z } from 'zod';
import { FAILURE_REASONS } from '../../core/jobs/failureReason.ts';
import { TAG_LIMITS, TAG_NAME_PATTERN } from '../../core/devices/deviceTags.ts';
import { ApiError } from './http.ts';

/**
 * Longest id the API takes, in a path or a body: 512 characters are at most 2,048 UTF-8 bytes,
 * DynamoDB's limit for a partition key (a longer one would fail in the store, not as bad input).
 */
export const MAX_ID_LENGTH = 512;
/** An endpoint name, image, campaign or request id as the API takes it. */
export const idString = z.string().min(1).max(MAX_ID_LENGTH);

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

const tagName = z.string().min(1).max(TAG_LIMITS.nameLength).regex(TAG_NAME_PATTERN, 'letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
const tagEndpoints = z.array(idString).min(1).max(TAG_LIMITS.endpointsPerRequest);

/** POST /devices/tags: put devices into groups and set attributes on them. */
export const TagRequestSchema = z
  .object({
    endpoints: tagEndpoints,
    groups: z.array(tagName).min(1).max(TAG_LIMITS.groupsPerDevice).optional(),
    attributes: z.record(tagName, z.string().max(TAG_LIMITS.valueLength)).optional(),
  })
  .strict()
  .refine((tag) => tag.groups !== undefined || (tag.attributes !== undefined && Object.keys(tag.attributes).length > 0), { message: 'give groups or attributes to set', path: ['groups'] });

/** POST /devices/untag: take devices out of groups and remove attributes (by name). */
export const UntagRequestSchema = z
  .object({
    endpoints: tagEndpoints,
    groups: z.array(tagName).min(1).max(TAG_LIMITS.groupsPerDevice).optional(),
    attributes: z.array(tagName).min(1).max(TAG_LIMITS.attributesPerDevice).optional(),
  })
  .strict()
  .refine((untag) => untag.groups !== undefined || untag.attributes !== undefined, { message: 'give groups or attribute names to remove', path: ['groups'] });

/**
 * The issue to report: for input that matches no branch of a union (an inline or a presigned
 * image), the first issue of the branch it came closest to, so the field is still named.
 */
function reportedIssue(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string } | undefined {
  const issue = issues[0];
  if (issue?.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    const inner = reportedIssue(closest);
    if (inner !== undefined) return { path: [...issue.path, ...inner.path], message: inner.message };
  }
  return issue;
}

export function validate<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = reportedIssue(parsed.error.issues);
    const field = issue?.path.map(String).join('.') ?? '';
    throw new ApiError(400, 'INVALID_REQUEST', `${field === '' ? 'request' : field}: ${issue?.message ?? 'invalid'}`, field === '' ? undefined : field);
  }
  return parsed.data;
}
