/**
 * The firmware image registry: bytes in S3, metadata in DynamoDB. Uploads go straight to S3
 * through presigned URLs (one PUT, or presigned UploadPart URLs for large images), then
 * `completeUpload` hashes what S3 stored and marks the image VERIFIED only when size and SHA-256
 * match what the uploader declared. The hash always comes from the stored object, never from the
 * client: the record vouches for what devices will receive.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ImageStatus, type FirmwareImage, type ImageUploadPlan } from '../core/images/FirmwareImage.ts';
import { ImageIntegrityError, ImageUploadStateError, NotFoundError } from './errors.ts';
import { isConditionalCheckFailure } from './conditionalWrite.ts';

export interface NewImage {
  readonly version: string;
  readonly models: readonly string[];
  readonly compatibleFrom?: readonly string[];
  /** The firmware line's versions, oldest first (core/campaign/versions.ts). */
  readonly versionOrder?: readonly string[];
  readonly notes?: string;
}

export interface UploadRequest extends NewImage {
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256 the uploader computed; the stored bytes must match it. */
  readonly sha256?: string;
}

/** Where the uploader sends the bytes: HTTP PUT of the whole image, or of each part in order. */
export type PresignedUpload =
  | { readonly kind: 'single'; readonly method: 'PUT'; readonly url: string; readonly expiresAt: number }
  | { readonly kind: 'multipart'; readonly method: 'PUT'; readonly partSizeBytes: number; readonly parts: readonly { readonly partNumber: number; readonly url: string }[]; readonly expiresAt: number };

/** A part as S3 acknowledged it: the ETag header of its UploadPart response. */
export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
}

export interface ImageRegistryLimits {
  /** Largest image uploaded with one presigned PUT; larger ones use multipart. @default 64 MiB */
  readonly singlePutMaxBytes?: number;
  /** Part size of multipart uploads (S3: at least 5 MiB but the last). @default 16 MiB */
  readonly partSizeBytes?: number;
  /** @default 1 GiB */
  readonly maxImageBytes?: number;
  /** Validity of upload URLs. @default 3600 s */
  readonly uploadUrlExpirySeconds?: number;
  /** Scheme of presigned download URLs: `http` against a local S3 endpoint. @default 'https' */
  readonly downloadScheme?: 'http' | 'https';
}

/** Firmware images: bytes in S3, metadata (with the server-computed SHA-256) in DynamoDB. */
export interface FirmwareImageRegistry {
  /** Stores a small image sent inline, hashed and verified at once. */
  store(image: NewImage, bytes: Uint8Array): Promise<FirmwareImage>;
  /** Records an UPLOADING image and returns where to PUT its bytes. */
  createUpload(request: UploadRequest): Promise<{ image: FirmwareImage; upload: PresignedUpload }>;
  /** Hashes the stored object and verifies the image; throws ImageIntegrityError (and marks it REJECTED) on a mismatch. */
  completeUpload(imageId: string, parts?: readonly UploadedPart[]): Promise<FirmwareImage>;
  get(imageId: string): Promise<FirmwareImage | undefined>;
  list(): Promise<FirmwareImage[]>;
  /** Removes the bytes and the record. Whether a campaign still needs the image is the caller's check. */
  delete(imageId: string): Promise<void>;
  /** Reads the bytes and checks them against the recorded hash. */
  readBytes(image: FirmwareImage): Promise<Buffer>;
  /** A short-lived presigned GET URL of the image's bytes (HTTP pull: the bytes never touch the edge). */
  presignDownload(image: FirmwareImage, expiresInSeconds: number): Promise<string>;
  /** Scheme of the URLs `presignDownload` returns. */
  readonly downloadScheme: 'http' | 'https';
}

const MIB = 1024 * 1024;

export class S3FirmwareImageRegistry implements FirmwareImageRegistry {
  readonly downloadScheme: 'http' | 'https';
  private readonly limits: Required<Omit<ImageRegistryLimits, 'downloadScheme'>>;

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly s3: S3Client,
    private readonly tableName: string,
    private readonly bucket: string,
    limits: ImageRegistryLimits = {},
  ) {
    this.downloadScheme = limits.downloadScheme ?? 'https';
    this.limits = {
      singlePutMaxBytes: limits.singlePutMaxBytes ?? 64 * MIB,
      partSizeBytes: limits.partSizeBytes ?? 16 * MIB,
      maxImageBytes: limits.maxImageBytes ?? 1024 * MIB,
      uploadUrlExpirySeconds: limits.uploadUrlExpirySeconds ?? 3600,
    };
  }

  async store(image: NewImage, bytes: Uint8Array): Promise<FirmwareImage> {
    const imageId = randomUUID();
    const objectKey = objectKeyFor(imageId);
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: bytes, ContentType: 'application/octet-stream' }));
    const stored = await this.hashObject(objectKey);
    if (stored.sizeBytes !== bytes.length || stored.sha256 !== sha256Hex(bytes)) {
      throw new ImageIntegrityError(`stored image ${imageId} differs from the uploaded bytes`);
    }
    const now = Date.now();
    const record: FirmwareImage = { ...metadataOf(imageId, image), ...stored, objectKey, status: ImageStatus.Verified, verified: true, createdAt: now, verifiedAt: now };
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: { ...record }, ConditionExpression: 'attribute_not_exists(imageId)' }));
    return record;
  }

  async createUpload(request: UploadRequest): Promise<{ image: FirmwareImage; upload: PresignedUpload }> {
    if (!Number.isInteger(request.sizeBytes) || request.sizeBytes < 1 || request.sizeBytes > this.limits.maxImageBytes) {
      throw new RangeError(`sizeBytes must be 1..${this.limits.maxImageBytes}`);
    }
    const imageId = randomUUID();
    const objectKey = objectKeyFor(imageId);
    const expiresIn = this.limits.uploadUrlExpirySeconds;
    const expiresAt = Date.now() + expiresIn * 1000;
    let plan: ImageUploadPlan;
    let upload: PresignedUpload;
    if (request.sizeBytes <= this.limits.singlePutMaxBytes) {
      plan = { kind: 'single' };
      const url = await getSignedUrl(this.s3, new PutObjectCommand({ Bucket: this.bucket, Key: objectKey }), { expiresIn });
      upload = { kind: 'single', method: 'PUT', url, expiresAt };
    } else {
      const partSizeBytes = this.limits.partSizeBytes;
      const partCount = Math.ceil(request.sizeBytes / partSizeBytes);
      const created = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, ContentType: 'application/octet-stream' }));
      const uploadId = created.UploadId;
      if (uploadId === undefined) throw new ImageUploadStateError(`S3 returned no upload id for ${objectKey}`);
      plan = { kind: 'multipart', uploadId, partSizeBytes, partCount };
      const parts = await Promise.all(
        Array.from({ length: partCount }, async (_, i) => ({
          partNumber: i + 1,
          url: await getSignedUrl(this.s3, new UploadPartCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, PartNumber: i + 1 }), { expiresIn }),
        })),
      );
      upload = { kind: 'multipart', method: 'PUT', partSizeBytes, parts, expiresAt };
    }
    const image: FirmwareImage = {
      ...metadataOf(imageId, request),
      sizeBytes: request.sizeBytes,
      sha256: '',
      ...(request.sha256 === undefined ? {} : { declaredSha256: request.sha256.toLowerCase() }),
      objectKey,
      status: ImageStatus.Uploading,
      verified: false,
      upload: plan,
      createdAt: Date.now(),
    };
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: { ...image }, ConditionExpression: 'attribute_not_exists(imageId)' }));
    return { image, upload };
  }

  async completeUpload(imageId: string, parts?: readonly UploadedPart[]): Promise<FirmwareImage> {
    const image = await this.get(imageId);
    if (image === undefined) throw new NotFoundError(`image ${imageId} does not exist`);
    if (image.status === ImageStatus.Verified) return image;
    if (image.status === ImageStatus.Rejected) throw new ImageUploadStateError(`image ${imageId} was rejected (${image.rejectReason ?? 'unknown'}); upload it again as a new image`);
    if (image.upload?.kind === 'multipart') await this.completeMultipart(image, image.upload, parts ?? []);
    let stored: { sizeBytes: number; sha256: string };
    try {
      stored = await this.hashObject(image.objectKey);
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') throw new ImageUploadStateError(`no bytes were uploaded for image ${imageId} yet`, { cause: error });
      throw error;
    }
    const problem =
      stored.sizeBytes !== image.sizeBytes
        ? `stored ${stored.sizeBytes} bytes, declared ${image.sizeBytes}`
        : image.declaredSha256 !== undefined && image.declaredSha256 !== stored.sha256
          ? `stored SHA-256 ${stored.sha256} differs from the declared ${image.declaredSha256}`
          : undefined;
    if (problem !== undefined) {
      await this.settle(image, { status: ImageStatus.Rejected, rejectReason: problem, sha256: stored.sha256 });
      throw new ImageIntegrityError(`image ${imageId}: ${problem}`);
    }
    const verified = await this.settle(image, { status: ImageStatus.Verified, verified: true, sha256: stored.sha256, verifiedAt: Date.now() });
    return verified;
  }

  async get(imageId: string): Promise<FirmwareImage | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { imageId }, ConsistentRead: true }));
    return result.Item as FirmwareImage | undefined;
  }

  async list(): Promise<FirmwareImage[]> {
    const items: FirmwareImage[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as FirmwareImage[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  async delete(imageId: string): Promise<void> {
    const image = await this.get(imageId);
    if (image === undefined) throw new NotFoundError(`image ${imageId} does not exist`);
    if (image.status === ImageStatus.Uploading && image.upload?.kind === 'multipart') {
      // Parts of an unfinished upload are billed until aborted (a bucket lifecycle rule is the backstop).
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: image.objectKey, UploadId: image.upload.uploadId })).catch(() => undefined);
    }
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: image.objectKey }));
    await this.dynamo.send(new DeleteCommand({ TableName: this.tableName, Key: { imageId } }));
  }

  async readBytes(image: FirmwareImage): Promise<Buffer> {
    const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: image.objectKey }));
    if (result.Body === undefined) throw new NotFoundError(`no object at s3://${this.bucket}/${image.objectKey}`);
    const bytes = Buffer.from(await result.Body.transformToByteArray());
    if (sha256Hex(bytes) !== image.sha256) {
      throw new ImageIntegrityError(`image ${image.imageId} in S3 does not match its recorded SHA-256`);
    }
    return bytes;
  }

  presignDownload(image: FirmwareImage, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: image.objectKey }), { expiresIn: expiresInSeconds });
  }

  private async completeMultipart(image: FirmwareImage, plan: Extract<ImageUploadPlan, { kind: 'multipart' }>, parts: readonly UploadedPart[]): Promise<void> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    if (sorted.length !== plan.partCount || sorted.some((part, i) => part.partNumber !== i + 1)) {
      throw new ImageUploadStateError(`image ${image.imageId} needs the ETags of parts 1..${plan.partCount}`);
    }
    try {
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: image.objectKey,
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

  /** Streams the object through SHA-256 without holding it in memory. */
  private async hashObject(key: string): Promise<{ sizeBytes: number; sha256: string }> {
    const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (result.Body === undefined) throw new NotFoundError(`no object at s3://${this.bucket}/${key}`);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of result.Body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      sizeBytes += chunk.length;
    }
    return { sizeBytes, sha256: hash.digest('hex') };
  }

  /** Moves an UPLOADING image to its verdict; a concurrent completion that won is returned as is. */
  private async settle(image: FirmwareImage, changes: Partial<FirmwareImage>): Promise<FirmwareImage> {
    const entries = Object.entries(changes);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':uploading': ImageStatus.Uploading };
    const sets = entries.map(([key, value], i) => {
      names[`#a${i}`] = key;
      values[`:a${i}`] = value;
      return `#a${i} = :a${i}`;
    });
    try {
      const result = await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId: image.imageId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#status = :uploading',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes as FirmwareImage;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const current = await this.get(image.imageId);
      if (current === undefined) throw new NotFoundError(`image ${image.imageId} was deleted while it was being verified`, { cause: error });
      return current;
    }
  }
}

function objectKeyFor(imageId: string): string {
  return `images/${imageId}.bin`;
}

function metadataOf(imageId: string, image: NewImage): Pick<FirmwareImage, 'imageId' | 'version' | 'models' | 'compatibleFrom' | 'versionOrder' | 'notes'> {
  return {
    imageId,
    version: image.version,
    models: [...image.models],
    ...(image.compatibleFrom === undefined || image.compatibleFrom.length === 0 ? {} : { compatibleFrom: [...image.compatibleFrom] }),
    ...(image.versionOrder === undefined ? {} : { versionOrder: [...image.versionOrder] }),
    ...(image.notes === undefined ? {} : { notes: image.notes }),
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
