/**
 * Serves firmware images block-wise at coap://<edge>/fw/<job-token> (RFC 7959 Block2). Each block
 * is sliced statelessly from the cached image by block number, with Size2 and an ETag from the
 * image hash, so a device can change tokens between blocks and resume from any block. A token
 * opens only the image of its own job, and only while that job is downloading.
 *
 * Token lookups are cached for TOKEN_CACHE_MS (5 s) so a download costs one DynamoDB query per
 * device, not one per block. A token therefore stops working at most 5 s after its job left
 * READY/DOWNLOADING/DOWNLOADED in the store (a cached grant expires TOKEN_CACHE_MS after the
 * lookup that made it, which happened before the job left); when this task's own executor ends
 * the job, `revoke` makes it immediate. A keyed token (core/jobs/packageToken.ts) is looked up
 * by the job's key and checked against its attempt's secret: a retry's new secret ends the old one.
 */
import { decodeBlockOption, encodeBlockOption, sliceForBlock2 } from '../../core/lwm2m/blockwise.ts';
import { ContentFormat } from '../../core/lwm2m/ContentFormat.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { JobStore } from '../../core/ports/JobStore.ts';
import { CoapOption, encodeUint } from '../transport/coapOptions.ts';
import type { InboundRequest, OutboundResponse } from '../transport/CoapTransport.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import type { ImageCache } from './ImageCache.ts';
import { ResponseCode } from '../../core/coap/ResponseCode.ts';

/** An indexed token, or a keyed one: `<secret>.<base64url key>` (core/jobs/packageToken.ts). */
const TOKEN = /^[A-Za-z0-9_-]{8,64}(?:\.[A-Za-z0-9_-]{4,240})?$/;
const DOWNLOADABLE: ReadonlySet<string> = new Set([JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded]);
export const TOKEN_CACHE_MS = 5_000;
const NOT_FOUND: OutboundResponse = { code: ResponseCode.NotFound };

export interface FirmwareBlockStats {
  blocksServed: number;
  bytesServed: number;
  rejectedTokens: number;
}

interface TokenGrant {
  readonly imageId: string | null;
  readonly until: number;
  readonly job?: Pick<FirmwareJob, 'campaignId' | 'endpoint'>;
}

export class FirmwareBlockServer {
  readonly stats: FirmwareBlockStats = { blocksServed: 0, bytesServed: 0, rejectedTokens: 0 };
  /** token -> image id, or null for a token known to be invalid; checked again after a few seconds. */
  private readonly tokens = new Map<string, TokenGrant>();
  /** Goes with the image bytes when the cache lets them go. */
  private readonly size2ByImage = new WeakMap<Uint8Array, Buffer>();

  constructor(
    private readonly jobs: Pick<JobStore, 'findByToken'>,
    private readonly images: Pick<ImageCache, 'get'>,
    private readonly now: () => number = Date.now,
    /** Hears the job behind a token each time it is looked up (every few seconds of a download), with the device's address. */
    private readonly onDownloadContact?: (job: FirmwareJob) => void,
    /** Hears that the last block of a job's image went out: the device should report Downloaded now. */
    private readonly onLastBlock?: (job: Pick<FirmwareJob, 'campaignId' | 'endpoint'>) => void,
  ) {}

  /** Forgets a token at once (its job ended on this task), so the next request gets 4.04. */
  revoke(token: string): void {
    this.tokens.set(token, { imageId: null, until: this.now() + TOKEN_CACHE_MS });
  }

  async handle(request: InboundRequest): Promise<OutboundResponse> {
    if (request.method !== 'GET') return { code: ResponseCode.MethodNotAllowed };
    const token = request.pathSegments[1];
    if (token === undefined || request.pathSegments.length !== 2 || !TOKEN.test(token)) {
      this.stats.rejectedTokens++;
      return NOT_FOUND;
    }
    const grant = await this.grantFor(token);
    const imageId = grant.imageId;
    if (imageId === null) {
      this.stats.rejectedTokens++;
      return NOT_FOUND;
    }
    const cached = await this.images.get(imageId);
    if (cached === undefined) return { code: ResponseCode.ServiceUnavailable, payload: Buffer.from('image unavailable') };
    const rawBlock = request.option(CoapOption.Block2);
    const requested = rawBlock === undefined ? undefined : decodeBlockOption(rawBlock);
    if (rawBlock !== undefined && requested === undefined) return { code: ResponseCode.BadOption, payload: Buffer.from('malformed Block2') };
    const slice = sliceForBlock2(cached.bytes.length, requested);
    if (slice.kind === 'outOfRange') return { code: ResponseCode.BadOption, payload: Buffer.from('block beyond the end of the image') };
    this.stats.blocksServed++;
    this.stats.bytesServed += slice.end - slice.start;
    if (!slice.option.more && grant.job !== undefined) this.onLastBlock?.(grant.job);
    return {
      code: ResponseCode.Content,
      contentFormat: ContentFormat.OPAQUE,
      payload: cached.bytes.subarray(slice.start, slice.end),
      options: [
        [CoapOption.ETag, cached.etag],
        [CoapOption.Block2, encodeBlockOption(slice.option)],
        [CoapOption.Size2, this.size2Of(cached.bytes)],
      ],
    };
  }

  /** Size2 of an image, encoded once per cached image rather than once per block. */
  private size2Of(bytes: Uint8Array): Buffer {
    let size2 = this.size2ByImage.get(bytes);
    if (size2 === undefined) {
      size2 = encodeUint(bytes.length);
      this.size2ByImage.set(bytes, size2);
    }
    return size2;
  }

  /** What a token grants (its image, or null), from the cache while it is fresh, else from the job table. */
  private async grantFor(token: string): Promise<TokenGrant> {
    const now = this.now();
    const known = this.tokens.get(token);
    if (known !== undefined && known.until > now) return known;
    const job = await this.jobs.findByToken(token);
    const imageId = job !== undefined && DOWNLOADABLE.has(job.status) ? job.imageId : null;
    if (job !== undefined && imageId !== null) this.onDownloadContact?.(job);
    if (this.tokens.size > 100_000) this.tokens.clear();
    const grant: TokenGrant = { imageId, until: now + TOKEN_CACHE_MS, ...(job === undefined ? {} : { job: { campaignId: job.campaignId, endpoint: job.endpoint } }) };
    this.tokens.set(token, grant);
    return grant;
  }

}
