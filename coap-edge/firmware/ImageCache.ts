/**
 * Firmware images held in memory per edge task, read from S3 once (concurrent misses share one
 * read) and evicted least-recently-used when the byte budget is exceeded.
 */
import type { FirmwareImage } from '../../core/images/FirmwareImage.ts';
import type { FirmwareImageRegistry } from '../../store/ImageRegistry.ts';

export interface CachedImage {
  readonly image: FirmwareImage;
  readonly bytes: Buffer;
  /** First 8 bytes of the SHA-256: a stable ETag (RFC 7252 §5.10.6 allows up to 8). */
  readonly etag: Buffer;
}

export class ImageCache {
  private readonly entries = new Map<string, CachedImage>();
  private readonly loading = new Map<string, Promise<CachedImage>>();
  private bytesHeld = 0;
  loadsFromStore = 0;

  constructor(
    private readonly registry: FirmwareImageRegistry,
    private readonly maxBytes: number,
  ) {}

  async get(imageId: string): Promise<CachedImage | undefined> {
    const hit = this.entries.get(imageId);
    if (hit !== undefined) {
      this.entries.delete(imageId);
      this.entries.set(imageId, hit);
      return hit;
    }
    let pending = this.loading.get(imageId);
    if (pending === undefined) {
      pending = this.load(imageId);
      this.loading.set(imageId, pending);
      pending.finally(() => this.loading.delete(imageId)).catch(() => undefined);
    }
    return pending.catch(() => undefined);
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
