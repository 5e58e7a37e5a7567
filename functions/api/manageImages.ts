/**
 * Use cases of the image registry, shared by the API and the CLI: create an upload (inline bytes
 * for small images, presigned S3 URLs otherwise), complete it (the server hashes what S3 stored),
 * and delete an image no campaign still needs.
 */
import { z } from 'zod';
import { FINISHED_CAMPAIGN_STATUSES } from '../../core/campaign/Campaign.ts';
import { SIGNATURE_ALGORITHMS, modelScopeProblem, type DetachedSignature, type FirmwareImage } from '../../core/images/FirmwareImage.ts';
import type { PresignedUpload } from '../../core/ports/FirmwareImageRegistry.ts';
import type { Stores } from '../../store/Stores.ts';

const sha256 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a hex SHA-256 (64 characters)');

const SignatureSchema = z
  .object({
    algorithm: z.enum(SIGNATURE_ALGORITHMS),
    /** Base64 of the detached signature over the image's SHA-256. */
    value: z.string().min(1).max(512).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
    /** Id of the signer key (first 16 hex digits of the SHA-256 of its SPKI DER), when known. */
    keyId: z.string().regex(/^[0-9a-f]{16}$/, '16 lower-case hex digits').optional(),
    /** The configured signer name the key belongs to, when the uploader says so. */
    signer: z.string().min(1).max(100).optional(),
  })
  .strict();

const ImageMetadataSchema = z.object({
  version: z.string().min(1).max(64),
  /** Device models the image is for; may be empty only with `anyModel: true`. */
  models: z.array(z.string().min(1).max(256)).max(100).default([]),
  /** The image installs on every model: must be said, never inferred from an empty list. */
  anyModel: z.boolean().optional(),
  /** Detached signature over the image's SHA-256 (Ed25519 or ECDSA P-256). */
  signature: SignatureSchema.optional(),
  /** Versions the image installs over; empty or absent: any. */
  compatibleFrom: z.array(z.string().min(1).max(64)).max(100).optional(),
  /** The versions of this firmware line, oldest first, when their names are not semantic versions (core/campaign/versions.ts). */
  versionOrder: z.array(z.string().min(1).max(64)).min(1).max(1000).optional(),
  notes: z.string().max(2000).optional(),
});

/** POST /images: `contentBase64` for a small image sent inline, or `sizeBytes` for a presigned upload. */
export const ImageCreateSchema = z
  .union([
  ImageMetadataSchema.extend({
    /** The image bytes, base64; for images up to a few MiB (API Gateway accepts 10 MB bodies). */
    contentBase64: z.string().min(1).max(8 * 1024 * 1024),
  }).strict(),
  ImageMetadataSchema.extend({
    sizeBytes: z.number().int().min(1),
    /** SHA-256 the client computed; the upload is rejected when the stored bytes differ. */
    sha256: sha256.optional(),
  }).strict(),
  ])
  .superRefine((image, context) => {
    const problem = modelScopeProblem(image.models, image.anyModel);
    if (problem !== undefined) context.addIssue({ code: 'custom', path: [problem.startsWith('anyModel') ? 'anyModel' : 'models'], message: problem.replace(/^\w+: /, '') });
  });
export type ImageCreateRequest = z.infer<typeof ImageCreateSchema>;

export const ImageCompleteSchema = z.object({
  /** For multipart uploads: the ETag S3 returned for each part. */
  parts: z.array(z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) })).max(10_000).optional(),
});
export type ImageCompleteRequest = z.infer<typeof ImageCompleteSchema>;

export type ImageCreated = { readonly image: FirmwareImage; readonly upload?: PresignedUpload };

/** An image that a campaign still needs (any campaign not finished). */
export class ImageInUseError extends Error {
  readonly campaignIds: readonly string[];
  constructor(message: string, campaignIds: readonly string[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageInUseError';
    this.campaignIds = campaignIds;
  }
}

export async function createImage(stores: Stores, request: ImageCreateRequest): Promise<ImageCreated> {
  const metadata = {
    version: request.version,
    models: request.models,
    ...(request.anyModel === undefined ? {} : { anyModel: request.anyModel }),
    ...(request.signature === undefined ? {} : { signature: signatureOf(request.signature) }),
    ...(request.compatibleFrom === undefined ? {} : { compatibleFrom: request.compatibleFrom }),
    ...(request.versionOrder === undefined ? {} : { versionOrder: request.versionOrder }),
    ...(request.notes === undefined ? {} : { notes: request.notes }),
  };
  if ('contentBase64' in request) {
    const bytes = Buffer.from(request.contentBase64, 'base64');
    if (bytes.length === 0) throw new RangeError('contentBase64: no bytes');
    return { image: await stores.images.store(metadata, bytes) };
  }
  return stores.images.createUpload({ ...metadata, sizeBytes: request.sizeBytes, ...(request.sha256 === undefined ? {} : { sha256: request.sha256 }) });
}

export function completeImage(stores: Stores, imageId: string, request: ImageCompleteRequest): Promise<FirmwareImage> {
  return stores.images.completeUpload(imageId, request.parts);
}

/**
 * Deletes an image unless a campaign that is not finished (created, running, paused...) holds
 * it. The image is first marked DELETING with a conditional write that holds only while no
 * campaign has reserved it, and a campaign create reserves it only while it is VERIFIED: so a
 * delete and a create racing for the same image never both succeed (launchCampaign.ts).
 */
export async function deleteImage(stores: Stores, imageId: string): Promise<void> {
  const isFinished = async (campaignId: string): Promise<boolean> => {
    const campaign = await stores.campaigns.get(campaignId);
    // A reservation is written after its campaign record: one without a campaign is a leftover.
    return campaign === undefined || FINISHED_CAMPAIGN_STATUSES.has(campaign.status);
  };
  const outcome = await stores.imageReservations.markDeleting(imageId, isFinished);
  if (!outcome.marked) throw new ImageInUseError(`image ${imageId} is used by campaign ${outcome.holders.join(', ')}`, outcome.holders);
  await stores.images.delete(imageId);
}

function signatureOf(signature: z.infer<typeof SignatureSchema>): DetachedSignature {
  return { algorithm: signature.algorithm, value: signature.value, ...(signature.keyId === undefined ? {} : { keyId: signature.keyId }), ...(signature.signer === undefined ? {} : { signer: signature.signer }) };
}
