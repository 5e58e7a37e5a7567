/** Request schemas: the same definitions validate input and describe it. */
import { z } from 'zod';
import { ApiError } from './http.ts';

const lwm2mPath = z.string().regex(/^\/?\d{1,5}(\/\d{1,5}){0,3}$/, 'an LwM2M path such as /3/0/1');

export const DeviceOperationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('read'), path: lwm2mPath }),
  z.object({ kind: z.literal('discover'), path: lwm2mPath }),
  z.object({ kind: z.literal('write'), path: lwm2mPath, value: z.union([z.string(), z.number(), z.boolean()]), replace: z.boolean().optional() }),
  z.object({ kind: z.literal('execute'), path: lwm2mPath, args: z.string().max(255).optional() }),
  z.object({ kind: z.literal('writeAttributes'), path: lwm2mPath, attributes: z.partialRecord(z.enum(['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax']), z.number()) }),
  z.object({ kind: z.literal('delete'), path: lwm2mPath }),
  z.object({ kind: z.literal('observe'), path: lwm2mPath }),
  z.object({ kind: z.literal('cancelObservation'), path: lwm2mPath }),
]);

export const DeviceOperationRequestSchema = z.object({
  operation: DeviceOperationSchema,
  /** How long the API waits for the device's answer before replying 202 (0: never wait). */
  waitSeconds: z.number().min(0).max(25).default(10),
  /** How long the request may wait for a sleeping device. */
  expiresInSeconds: z.number().int().min(1).max(7 * 86400).default(86400),
});

export const ImageUploadSchema = z.object({
  version: z.string().min(1).max(64),
  models: z.array(z.string().min(1)).min(1),
  notes: z.string().max(2000).optional(),
  /** The image bytes, base64; for images up to a few MiB. */
  contentBase64: z.string().min(1),
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
