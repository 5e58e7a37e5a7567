/**
 * The S3 object operations of the image registry that pin bytes: hashing an object (at a version),
 * copying an upload to the key it is served from, and checking that the served object is still
 * the verified one. Kept apart from the registry's record keeping.
 */
import { createHash } from 'node:crypto';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from './errors.ts';

/** What S3 holds at a key: its size, SHA-256, and the version and ETag it reported. */
export interface StoredObject {
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Absent where the bucket keeps no versions (s3rver). */
  readonly versionId?: string;
  readonly etag?: string;
}

export class ImageObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Streams the object (at `versionId` when given) through SHA-256 without holding it in memory. */
  async hash(key: string, versionId?: string): Promise<StoredObject> {
    const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) }));
    if (result.Body === undefined) throw new NotFoundError(`no object at s3://${this.bucket}/${key}`);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of result.Body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      sizeBytes += chunk.length;
    }
    return { sizeBytes, sha256: hash.digest('hex'), ...versionAndETag(result.VersionId, result.ETag) };
  }

  /** The bytes of the object at `versionId` when given. */
  async read(key: string, versionId?: string): Promise<Buffer> {
    const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) }));
    if (result.Body === undefined) throw new NotFoundError(`no object at s3://${this.bucket}/${key}`);
    return Buffer.from(await result.Body.transformToByteArray());
  }

  /** Copies the uploaded object to the key devices are served from; returns the version the copy got. */
  async copy(from: string, to: string): Promise<{ versionId?: string }> {
    const result = await this.s3.send(
      new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}`, ContentType: 'application/octet-stream', MetadataDirective: 'REPLACE' }),
    );
    return result.VersionId === undefined ? {} : { versionId: result.VersionId };
  }

  /** Size and ETag of the object (at `versionId` when given), without its bytes. */
  async head(key: string, versionId?: string): Promise<{ sizeBytes: number; etag?: string }> {
    const result = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) }));
    return { sizeBytes: result.ContentLength ?? -1, ...(result.ETag === undefined ? {} : { etag: result.ETag }) };
  }
}

function versionAndETag(versionId: string | undefined, etag: string | undefined): { versionId?: string; etag?: string } {
  // S3 says "null" for an object written before versioning was turned on: no version to pin.
  return { ...(versionId === undefined || versionId === 'null' ? {} : { versionId }), ...(etag === undefined ? {} : { etag }) };
}

/** A missing key or version, as S3 and s3rver name it. */
export function isMissingObject(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NoSuchVersion' || error.name === 'NotFound');
}
