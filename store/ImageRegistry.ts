/**
 * The firmware image registry: bytes in S3, metadata in DynamoDB. Uploads go straight to S3
 * through presigned URLs (one PUT, or presigned UploadPart URLs for large images) to an upload
 * key (`uploads/<id>.bin`); `completeUpload` copies them to the key devices are served from
 * (`images/<id>.bin`, for which no upload URL is ever issued), hashes that copy, checks its
 * signature, and marks the image VERIFIED only when size and SHA-256 match what the uploader
 * declared. The record pins the S3 version and ETag of the verified object: every read asks for
 * that version and checks the SHA-256 (or, for a presigned GET, the ETag), and an object found
 * changed marks the image TAMPERED, never served again. The hash always comes from the stored
 * object, never from the client: the record vouches for what devices will receive.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ImageStatus, type FirmwareImage, type ImageSigner } from '../core/images/FirmwareImage.ts';
import type { FirmwareImageRegistry, NewImage, PresignedUpload, UploadedPart, UploadRequest } from '../core/ports/FirmwareImageRegistry.ts';
import { ImageIntegrityError, ImageSignatureError, ImageTamperedError, ImageUploadStateError, NotFoundError } from './errors.ts';
import { ImageObjects, isMissingObject, type StoredObject } from './imageObjects.ts';
import { checkModelScope, markTampered, metadataOf, objectKeyFor, pinOf, pinnableVersion, settleUpload, uploadKeyFor } from './imageRecords.ts';
import { ImageSignatureVerifier, type ImageSigningPolicy } from './imageSigning.ts';
import { PresignedImageUploads } from './imageUploads.ts';

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
  /** Signer keys and whether unsigned images are refused. @default no keys, unsigned images accepted */
  readonly signing?: ImageSigningPolicy;
}

const MIB = 1024 * 1024;

export class S3FirmwareImageRegistry implements FirmwareImageRegistry {
  readonly downloadScheme: 'http' | 'https';
  private readonly maxImageBytes: number;
  private readonly uploads: PresignedImageUploads;
  private readonly objects: ImageObjects;
  private readonly signatures: ImageSignatureVerifier;

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly s3: S3Client,
    private readonly tableName: string,
    private readonly bucket: string,
    limits: ImageRegistryLimits = {},
  ) {
    this.downloadScheme = limits.downloadScheme ?? 'https';
    this.maxImageBytes = limits.maxImageBytes ?? 1024 * MIB;
    this.uploads = new PresignedImageUploads(s3, bucket, {
      singlePutMaxBytes: limits.singlePutMaxBytes ?? 64 * MIB,
      partSizeBytes: limits.partSizeBytes ?? 16 * MIB,
      uploadUrlExpirySeconds: limits.uploadUrlExpirySeconds ?? 3600,
    });
    this.objects = new ImageObjects(s3, bucket);
    this.signatures = new ImageSignatureVerifier(limits.signing ?? { signers: [], requireSignedImages: false });
  }

  async store(image: NewImage, bytes: Uint8Array): Promise<FirmwareImage> {
    checkModelScope(image);
    const signedBy = this.signatures.check(sha256Hex(bytes), image.signature);
    const imageId = randomUUID();
    const objectKey = objectKeyFor(imageId);
    const put = await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: bytes, ContentType: 'application/octet-stream' }));
    const stored = await this.objects.hash(objectKey, pinnableVersion(put.VersionId));
    if (stored.sizeBytes !== bytes.length || stored.sha256 !== sha256Hex(bytes)) {
      throw new ImageIntegrityError(`stored image ${imageId} differs from the uploaded bytes`);
    }
    const now = Date.now();
    const record: FirmwareImage = {
      ...metadataOf(imageId, image),
      ...pinOf(stored),
      objectKey,
      ...(signedBy === undefined ? {} : { signedBy }),
      status: ImageStatus.Verified,
      verified: true,
      createdAt: now,
      verifiedAt: now,
    };
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: { ...record }, ConditionExpression: 'attribute_not_exists(imageId)' }));
    return record;
  }

  async createUpload(request: UploadRequest): Promise<{ image: FirmwareImage; upload: PresignedUpload }> {
    if (!Number.isInteger(request.sizeBytes) || request.sizeBytes < 1 || request.sizeBytes > this.maxImageBytes) {
      throw new RangeError(`sizeBytes must be 1..${this.maxImageBytes}`);
    }
    checkModelScope(request);
    // Refused before any byte is sent; the signature itself is checked against the stored bytes at complete.
    this.signatures.admit(request.signature);
    const imageId = randomUUID();
    const objectKey = objectKeyFor(imageId);
    const uploadKey = uploadKeyFor(imageId);
    const { plan, upload } = await this.uploads.open(uploadKey, request.sizeBytes);
    const image: FirmwareImage = {
      ...metadataOf(imageId, request),
      sizeBytes: request.sizeBytes,
      sha256: '',
      ...(request.sha256 === undefined ? {} : { declaredSha256: request.sha256.toLowerCase() }),
      ...(request.signature === undefined ? {} : { signature: { ...request.signature } }),
      objectKey,
      uploadKey,
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
    if (image.status === ImageStatus.Tampered) throw new ImageUploadStateError(`image ${imageId} was tampered with after verification (${image.tamperReason ?? 'unknown'}); upload it again as a new image`);
    const uploadKey = image.uploadKey ?? image.objectKey;
    if (image.upload?.kind === 'multipart') await this.uploads.assemble(image, uploadKey, image.upload, parts ?? []);
    let stored: StoredObject;
    try {
      // The copy is what gets hashed and served: a PUT through the upload URL after this line changes neither.
      const copy = uploadKey === image.objectKey ? {} : await this.objects.copy(uploadKey, image.objectKey);
      stored = await this.objects.hash(image.objectKey, copy.versionId);
    } catch (error) {
      if (isMissingObject(error)) throw new ImageUploadStateError(`no bytes were uploaded for image ${imageId} yet`, { cause: error });
      throw error;
    }
    const problem =
      stored.sizeBytes !== image.sizeBytes
        ? `stored ${stored.sizeBytes} bytes, declared ${image.sizeBytes}`
        : image.declaredSha256 !== undefined && image.declaredSha256 !== stored.sha256
          ? `stored SHA-256 ${stored.sha256} differs from the declared ${image.declaredSha256}`
          : undefined;
    if (problem !== undefined) {
      await settleUpload(this.dynamo, this.tableName, image, { status: ImageStatus.Rejected, rejectReason: problem, sha256: stored.sha256 });
      throw new ImageIntegrityError(`image ${imageId}: ${problem}`);
    }
    let signedBy: ImageSigner | undefined;
    try {
      signedBy = this.signatures.check(stored.sha256, image.signature);
    } catch (error) {
      if (!(error instanceof ImageSignatureError)) throw error;
      await settleUpload(this.dynamo, this.tableName, image, { status: ImageStatus.Rejected, rejectReason: error.message, sha256: stored.sha256 });
      throw error;
    }
    const verified = await settleUpload(this.dynamo, this.tableName, image, { status: ImageStatus.Verified, verified: true, ...pinOf(stored), ...(signedBy === undefined ? {} : { signedBy }), verifiedAt: Date.now() });
    if (uploadKey !== image.objectKey) {
      // The upload's bytes are no longer needed (a bucket lifecycle rule is the backstop).
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: uploadKey })).catch(() => undefined);
    }
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
    if (image.status === ImageStatus.Uploading && image.upload?.kind === 'multipart') await this.uploads.abandon(image.uploadKey ?? image.objectKey, image.upload);
    if (image.uploadKey !== undefined) await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: image.uploadKey }));
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: image.objectKey }));
    await this.dynamo.send(new DeleteCommand({ TableName: this.tableName, Key: { imageId } }));
  }

  async readBytes(image: FirmwareImage): Promise<Buffer> {
    this.mustBeServable(image);
    const bytes = await this.objects.read(image.objectKey, image.objectVersionId);
    if (bytes.length !== image.sizeBytes || sha256Hex(bytes) !== image.sha256) {
      throw await this.tampered(image, `the stored bytes (${bytes.length} bytes, SHA-256 ${sha256Hex(bytes)}) are not the verified ones`);
    }
    return bytes;
  }

  async presignDownload(image: FirmwareImage, expiresInSeconds: number): Promise<string> {
    this.mustBeServable(image);
    // Where the bucket keeps versions the URL names the verified one, and nothing written later is
    // reachable through it. Where it does not (s3rver), the object must still be the verified one.
    const head = await this.objects.head(image.objectKey, image.objectVersionId);
    if (head.sizeBytes !== image.sizeBytes || (image.objectETag !== undefined && head.etag !== image.objectETag)) {
      throw await this.tampered(image, `the stored object (${head.sizeBytes} bytes, ETag ${head.etag ?? 'none'}) is not the verified one (ETag ${image.objectETag ?? 'none'})`);
    }
    const versionId = image.objectVersionId;
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: image.objectKey, ...(versionId === undefined ? {} : { VersionId: versionId }) }), { expiresIn: expiresInSeconds });
  }

  private mustBeServable(image: FirmwareImage): void {
    if (image.status === ImageStatus.Tampered) throw new ImageTamperedError(`image ${image.imageId} was tampered with: ${image.tamperReason ?? 'unknown'}`);
    if (!image.verified) throw new ImageUploadStateError(`image ${image.imageId} is ${image.status}, not verified`);
  }

  /** Marks a VERIFIED image TAMPERED and returns the error to throw. */
  private async tampered(image: FirmwareImage, reason: string): Promise<ImageTamperedError> {
    await markTampered(this.dynamo, this.tableName, image.imageId, reason);
    return new ImageTamperedError(`image ${image.imageId}: ${reason}`);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
