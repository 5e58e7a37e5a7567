/**
 * The presigned side of an image upload: where the uploader sends the bytes (one presigned PUT,
 * or presigned UploadPart URLs for a large image), always to the upload key, and the assembly of
 * the parts once the uploader reports their ETags.
 */
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FirmwareImage, ImageUploadPlan } from '../core/images/FirmwareImage.ts';
import type { PresignedUpload, UploadedPart } from '../core/ports/FirmwareImageRegistry.ts';
import { ImageUploadStateError } from './errors.ts';

export interface UploadLimits {
  /** Largest image uploaded with one presigned PUT; larger ones use multipart. */
  readonly singlePutMaxBytes: number;
  /** Part size of multipart uploads (S3: at least 5 MiB but the last). */
  readonly partSizeBytes: number;
  /** Validity of upload URLs. */
  readonly uploadUrlExpirySeconds: number;
}

export type MultipartPlan = Extract<ImageUploadPlan, { kind: 'multipart' }>;

export class PresignedImageUploads {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly limits: UploadLimits,
  ) {}

  /** The plan recorded on the image and the URLs handed to the uploader. */
  async open(uploadKey: string, sizeBytes: number): Promise<{ plan: ImageUploadPlan; upload: PresignedUpload }> {
    const expiresIn = this.limits.uploadUrlExpirySeconds;
    const expiresAt = Date.now() + expiresIn * 1000;
    if (sizeBytes <= this.limits.singlePutMaxBytes) {
      const url = await getSignedUrl(this.s3, new PutObjectCommand({ Bucket: this.bucket, Key: uploadKey }), { expiresIn });
      return { plan: { kind: 'single' }, upload: { kind: 'single', method: 'PUT', url, expiresAt } };
    }
    const partSizeBytes = this.limits.partSizeBytes;
    const partCount = Math.ceil(sizeBytes / partSizeBytes);
    const created = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: uploadKey, ContentType: 'application/octet-stream' }));
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new ImageUploadStateError(`S3 returned no upload id for ${uploadKey}`);
    const parts = await Promise.all(
      Array.from({ length: partCount }, async (_, i) => ({
        partNumber: i + 1,
        url: await getSignedUrl(this.s3, new UploadPartCommand({ Bucket: this.bucket, Key: uploadKey, UploadId: uploadId, PartNumber: i + 1 }), { expiresIn }),
      })),
    );
    return { plan: { kind: 'multipart', uploadId, partSizeBytes, partCount }, upload: { kind: 'multipart', method: 'PUT', partSizeBytes, parts, expiresAt } };
  }

  /** Assembles the uploaded parts into the upload key's object; completing twice is harmless. */
  async assemble(image: FirmwareImage, uploadKey: string, plan: MultipartPlan, parts: readonly UploadedPart[]): Promise<void> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    if (sorted.length !== plan.partCount || sorted.some((part, i) => part.partNumber !== i + 1)) {
      throw new ImageUploadStateError(`image ${image.imageId} needs the ETags of parts 1..${plan.partCount}`);
    }
    try {
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: uploadKey,
          UploadId: plan.uploadId,
          MultipartUpload: { Parts: sorted.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
        }),
      );
    } catch (error) {
      // Completing twice (a retried request) finds the upload gone but the object in place.
      if (error instanceof Error && error.name === 'NoSuchUpload') return;
      throw new ImageUploadStateError(`S3 refused to assemble image ${image.imageId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Parts of an unfinished upload are billed until aborted (a bucket lifecycle rule is the backstop). */
  async abandon(uploadKey: string, plan: MultipartPlan): Promise<void> {
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: uploadKey, UploadId: plan.uploadId })).catch(() => undefined);
  }
}
