import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FirmwareImage } from '../core/images/FirmwareImage.ts';
import { ImageIntegrityError, NotFoundError } from './errors.ts';

export interface NewImage {
  readonly version: string;
  readonly models: readonly string[];
  readonly notes?: string;
}

/** Firmware images: bytes in S3, metadata (with the server-computed SHA-256) in DynamoDB. */
export interface FirmwareImageRegistry {
  store(image: NewImage, bytes: Uint8Array): Promise<FirmwareImage>;
  get(imageId: string): Promise<FirmwareImage | undefined>;
  list(): Promise<FirmwareImage[]>;
  /** Reads the bytes and checks them against the recorded hash. */
  readBytes(image: FirmwareImage): Promise<Buffer>;
}

export class S3FirmwareImageRegistry implements FirmwareImageRegistry {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly s3: S3Client,
    private readonly tableName: string,
    private readonly bucket: string,
  ) {}

  async store(image: NewImage, bytes: Uint8Array): Promise<FirmwareImage> {
    const imageId = randomUUID();
    const objectKey = `images/${imageId}.bin`;
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: bytes, ContentType: 'application/octet-stream' }));
    // Hash what S3 gives back, not what we sent: the record vouches for the stored object.
    const stored = await this.readObject(objectKey);
    const record: FirmwareImage = {
      imageId,
      version: image.version,
      models: [...image.models],
      sizeBytes: stored.length,
      sha256: sha256Hex(stored),
      objectKey,
      verified: stored.length === bytes.length && sha256Hex(stored) === sha256Hex(bytes),
      createdAt: Date.now(),
      ...(image.notes === undefined ? {} : { notes: image.notes }),
    };
    if (!record.verified) throw new ImageIntegrityError(`stored image ${imageId} differs from the uploaded bytes`);
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: { ...record }, ConditionExpression: 'attribute_not_exists(imageId)' }));
    return record;
  }

  async get(imageId: string): Promise<FirmwareImage | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { imageId }, ConsistentRead: true }));
    return result.Item as FirmwareImage | undefined;
  }

  async list(): Promise<FirmwareImage[]> {
    const result = await this.dynamo.send(new ScanCommand({ TableName: this.tableName }));
    return (result.Items ?? []) as FirmwareImage[];
  }

  async readBytes(image: FirmwareImage): Promise<Buffer> {
    const bytes = await this.readObject(image.objectKey);
    if (sha256Hex(bytes) !== image.sha256) {
      throw new ImageIntegrityError(`image ${image.imageId} in S3 does not match its recorded SHA-256`);
    }
    return bytes;
  }

  private async readObject(key: string): Promise<Buffer> {
    const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (result.Body === undefined) throw new NotFoundError(`no object at s3://${this.bucket}/${key}`);
    return Buffer.from(await result.Body.transformToByteArray());
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
