import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiClient, ApiClientError, apiClientFor } from '../../../cli/ApiClient.ts';
import { NodeSha256, regionOfApiUrl, SigV4RequestSigner } from '../../../cli/requestSigner.ts';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token-example' };

/**
 * The CLI's API client against a loopback server that records what arrives: unsigned for the
 * local stack, SigV4 for a deployed one, with the signature recomputed from the request as received.
 */
describe('API client', () => {
  let server: Server;
  let baseUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url?.startsWith('/prod/missing') === true) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'campaign x does not exist' } }));
        } else if (req.url?.startsWith('/prod/pages') === true) {
          const cursor = new URL(req.url, 'http://x').searchParams.get('cursor');
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(cursor === null ? { items: [1, 2], nextCursor: 'Mg' } : { items: [3] }));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const last = (): Received => {
    const request = received.at(-1);
    if (request === undefined) throw new Error('no request received');
    return request;
  };

  it('sends no signature to the local stack', async () => {
    await apiClientFor(baseUrl).get('/campaigns');
    expect(last().headers['authorization']).toBeUndefined();
    expect(last().url).toBe('/prod/campaigns');
  });

  it('signs with SigV4 for execute-api exactly what it sends: path, query and body', async () => {
    const client = new ApiClient(baseUrl, { signer: new SigV4RequestSigner('eu-west-1', CREDENTIALS) });
    await client.post('/devices/meter%20one/operations', { operation: { kind: 'read', path: '/3/0' } });
    const request = last();
    const authorization = String(request.headers['authorization']);
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    expect(request.headers['x-amz-security-token']).toBe('session-token-example');

    // Recompute the signature from the request as the server received it, at the date it carries.
    const amzDate = String(request.headers['x-amz-date']);
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const url = new URL(request.url, 'http://placeholder');
    const expected = await new SignatureV4({ service: 'execute-api', region: 'eu-west-1', credentials: CREDENTIALS, sha256: NodeSha256, applyChecksum: false }).sign(
      { method: request.method, protocol: 'http:', hostname: '127.0.0.1', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { host: String(request.headers['host']), 'content-type': String(request.headers['content-type']), accept: String(request.headers['accept']) }, body: request.body },
      { signingDate },
    );
    expect(authorization).toBe(expected.headers['authorization']);
    expect(request.url).toBe('/prod/devices/meter%20one/operations');
  });

  it('signs query parameters too', async () => {
    const client = new ApiClient(baseUrl, { signer: new SigV4RequestSigner('us-east-1', CREDENTIALS) });
    await client.get('/devices', { limit: '10', cursor: 'YWJj' });
    expect(last().url).toBe('/prod/devices?limit=10&cursor=YWJj');
    expect(String(last().headers['authorization'])).toContain('/us-east-1/execute-api/aws4_request');
  });

  it('hashes as SHA-256 and HMAC-SHA-256 do (FIPS 180-2 "abc", RFC 4231 case 2)', async () => {
    const hash = new NodeSha256();
    hash.update('abc');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const hmac = new NodeSha256('Jefe');
    hmac.update(new TextEncoder().encode('what do ya want for nothing?'));
    expect(Buffer.from(await hmac.digest()).toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it("signs AWS's get-vanilla example of the SigV4 test suite to its published signature", async () => {
    const signer = new SignatureV4({ service: 'service', region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: CREDENTIALS.secretAccessKey }, sha256: NodeSha256, applyChecksum: false });
    const signed = await signer.sign({ method: 'GET', protocol: 'https:', hostname: 'example.amazonaws.com', path: '/', query: {}, headers: { host: 'example.amazonaws.com' } }, { signingDate: new Date('2015-08-30T12:36:00Z') });
    expect(signed.headers['authorization']).toBe('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('reads the region from an API Gateway host name', () => {
    expect(regionOfApiUrl(new URL('https://a1b2c3.execute-api.eu-central-1.amazonaws.com/prod'))).toBe('eu-central-1');
    expect(regionOfApiUrl(new URL('https://api.example.com'))).toBeUndefined();
  });

  it('follows nextCursor through every page', async () => {
    expect(await apiClientFor(baseUrl).listAll<number>('/pages')).toEqual([1, 2, 3]);
  });

  it('turns an error answer into an ApiClientError with status and code', async () => {
    await expect(apiClientFor(baseUrl).get('/missing')).rejects.toMatchObject({ name: 'ApiClientError', status: 404, code: 'NOT_FOUND' });
  });

  it('reports an unreachable API and refuses a URL that is not http(s)', async () => {
    await expect(apiClientFor('http://127.0.0.1:1').get('/health')).rejects.toMatchObject({ status: 0, code: 'UNREACHABLE' });
    expect(() => apiClientFor('ftp://example.com')).toThrow(ApiClientError);
  });
});
