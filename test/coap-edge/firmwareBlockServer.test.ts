import { describe, expect, it } from 'vitest';
import { FirmwareBlockServer, TOKEN_CACHE_MS } from '../../coap-edge/firmware/FirmwareBlockServer.ts';
import type { CachedImage } from '../../coap-edge/firmware/ImageCache.ts';
import type { InboundRequest } from '../../coap-edge/transport/CoapTransport.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { ImageStatus } from '../../core/images/FirmwareImage.ts';

const TOKEN = 'token-of-the-job-0001';

function blockRequest(token = TOKEN): InboundRequest {
  return { method: 'GET', pathSegments: ['fw', token], query: '', payload: Buffer.alloc(0), token: Buffer.from([1]), option: () => undefined, peer: { address: '127.0.0.1', port: 1 } };
}

/** A block server over one job whose status the test changes, with a clock the test moves. */
function serverWithJob(status: FirmwareJob['status']) {
  let now = 1_000_000;
  const job = { status, imageId: 'image-1', downloadToken: TOKEN } as FirmwareJob;
  const lookups = { count: 0 };
  const jobs = {
    findByToken: async (token: string) => {
      lookups.count++;
      return token === TOKEN ? job : undefined;
    },
  };
  const image: CachedImage = {
    image: { imageId: 'image-1', version: '1', models: [], sizeBytes: 4, sha256: 'ab'.repeat(32), objectKey: 'k', status: ImageStatus.Verified, verified: true, createdAt: 0 },
    bytes: Buffer.from('FWPK'),
    etag: Buffer.alloc(8),
  };
  const server = new FirmwareBlockServer(jobs, { get: async () => image }, () => now);
  return {
    server,
    lookups,
    setStatus: (next: FirmwareJob['status']) => Object.assign(job, { status: next }),
    advance: (ms: number) => (now += ms),
  };
}

describe('firmware tokens at the block server', () => {
  it('serves a block to the token of a downloading job, looking the token up once for many blocks', async () => {
    const { server, lookups } = serverWithJob(JobStatus.Downloading);
    for (let i = 0; i < 10; i++) expect((await server.handle(blockRequest())).code).toBe('2.05');
    expect(lookups.count).toBe(1);
  });

  it('stops serving a token at most 5 s after its job ended elsewhere (the lookup cache bound)', async () => {
    const { server, setStatus, advance } = serverWithJob(JobStatus.Downloading);
    expect((await server.handle(blockRequest())).code).toBe('2.05');

    setStatus(JobStatus.Failed);
    advance(TOKEN_CACHE_MS - 1);
    expect((await server.handle(blockRequest())).code).toBe('2.05');
    advance(1);

    expect((await server.handle(blockRequest())).code).toBe('4.04');
    expect(TOKEN_CACHE_MS).toBe(5_000);
  });

  it('stops serving a revoked token at once', async () => {
    const { server } = serverWithJob(JobStatus.Downloaded);
    expect((await server.handle(blockRequest())).code).toBe('2.05');

    server.revoke(TOKEN);

    expect((await server.handle(blockRequest())).code).toBe('4.04');
  });

  it('answers 4.04 to unknown and malformed tokens, and to jobs not in a download state', async () => {
    const { server } = serverWithJob(JobStatus.Pending);
    expect((await server.handle(blockRequest('unknown-token-000'))).code).toBe('4.04');
    expect((await server.handle(blockRequest('../../etc'))).code).toBe('4.04');
    expect((await server.handle(blockRequest())).code).toBe('4.04');
    expect(server.stats.rejectedTokens).toBe(3);
  });
});
