/**
 * Firmware images held in memory per edge task, read from S3 once (concurrent misses share one
 * read) and evicted least-recently-used when the byte budget is exceeded. Every read is checked
 * against the image's recorded SHA-256 at its pinned S3 version (the registry's readBytes): bytes
 * changed in S3 after verification are never served, and the image is marked TAMPERED. A failed load is remembered for FAILED_LOAD_RETRY_MS, so devices
 * asking for a broken image do not turn each block request into an S3 read.
 */
import { ImageStatus, type FirmwareImage } from '../../core/images/FirmwareImage.ts';
import type { FirmwareImageRegistry } from '../../core/ports/FirmwareImageRegistry.ts';

export interface CachedImage {
  readonly image: FirmwareImage;
  readonly bytes: Buffer;
  /** First 8 bytes of the SHA-256: a stable ETag (RFC 7252 §5.10.6 allows up to 8). */
  readonly etag: Buffer;
}

export const FAILED_LOAD_RETRY_MS = 10_000;

export class ImageCache {
  private readonly entries = new Map<string, CachedImage>();
  private readonly loading = new Map<string, Promise<CachedImage>>();
  /** image id -> time until which a failed load is not retried. */
  private readonly failures = new Map<string, number>();
  private bytesHeld = 0;
  loadsFromStore = 0;
  failedLoads = 0;

  constructor(
    private readonly registry: Pick<FirmwareImageRegistry, 'get' | 'readBytes'>,
    private readonly maxBytes: number,
    private readonly onLoadFailure?: (imageId: string, error: unknown) => void,
  ) {}

  /** The image's bytes, or undefined when it is missing, unverified or does not match its hash. */
  async get(imageId: string): Promise<CachedImage | undefined> {
    const hit = this.entries.get(imageId);
    if (hit !== undefined) {
      this.entries.delete(imageId);
      this.entries.set(imageId, hit);
      return hit;
    }
    if ((this.failures.get(imageId) ?? 0) > Date.now()) return undefined;
    let pending = this.loading.get(imageId);
    if (pending === undefined) {
      pending = this.load(imageId);
      this.loading.set(imageId, pending);
      pending
        .catch((error: unknown) => {
          this.failedLoads++;
          if (this.failures.size > 10_000) this.failures.clear();
          this.failures.set(imageId, Date.now() + FAILED_LOAD_RETRY_MS);
          this.onLoadFailure?.(imageId, error);
        })
        .finally(() => this.loading.delete(imageId))
        .catch(() => undefined);
    }
    return pending.catch(() => undefined);
  }

  /** Why an image cannot be served, as a job's failure reason: tampered with after verification, or missing/unverified. */
  async unavailableReason(imageId: string): Promise<'IMAGE_TAMPERED' | 'IMAGE_UNAVAILABLE'> {
    const image = await this.registry.get(imageId);
    return image?.status === ImageStatus.Tampered ? 'IMAGE_TAMPERED' : 'IMAGE_UNAVAILABLE';
  }

  private async load(imageId: string): Promise<CachedImage> {
    const image = await this.registry.get(imageId);
    if (image === undefined || !image.verified) throw new Error(`image ${imageId} is not a verified image`);
    this.loadsFromStore++;
    const bytes = await this.registry.readBytes(image);
    const entry: CachedImage = { image, bytes, etag: Buffer.from(image.sha256.slice(0, 16), 'hex') };
    this.entries.set(imageId, entry);
    this.bytesHeld += bytes.length;
    for (const [id, cached] of this.entries) {
      if (this.bytesHeld <= this.maxBytes || id === imageId) break;
      this.entries.delete(id);
      this.bytesHeld -= cached.bytes.length;
    }
    return entry;
  }
}
