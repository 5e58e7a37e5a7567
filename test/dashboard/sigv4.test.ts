import { beforeAll, describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../cli/requestSigner.ts';

interface SignedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
}
interface SigV4Module {
  signRequest(request: {
    method: string;
    url: URL | string;
    region: string;
    service: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    date?: Date;
    headers?: Record<string, string>;
  }): Promise<SignedRequest>;
  canonicalUri(pathname: string): string;
  canonicalQuery(params: URLSearchParams): string;
}

// AWS's SigV4 test suite credentials and date (get-vanilla and friends).
const SUITE_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_DATE = new Date('2015-08-30T12:36:00Z');
const TEMPORARY = { ...SUITE_CREDENTIALS, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE/session+token=' };

/** What @smithy/signature-v4 (the CLI's signer) computes for the same GET, as API Gateway checks it. */
async function smithyAuthorization(url: URL, credentials: typeof TEMPORARY | typeof SUITE_CREDENTIALS, region: string, service: string, date: Date): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service, region, credentials, sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign(
    { method: 'GET', protocol: url.protocol, hostname: url.hostname, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { host: url.host } },
    { signingDate: date },
  );
  return signed.headers;
}

/**
 * dashboard/sigv4.js, the browser's SigV4 on WebCrypto, run in Node 20 (crypto.subtle is global):
 * against AWS's published test vectors and against @smithy/signature-v4.
 */
describe('dashboard SigV4 signing', () => {
  let sigv4: SigV4Module;

  beforeAll(async () => {
    // A computed specifier: the module is plain browser JavaScript, without type declarations.
    sigv4 = (await import(new URL('../../dashboard/sigv4.js', import.meta.url).href)) as SigV4Module;
  });

  it('signs AWS test suite "get-vanilla" to the published signature', async () => {
    const signed = await sigv4.signRequest({ method: 'GET', url: 'https://example.amazonaws.com/', region: 'us-east-1', service: 'service', credentials: SUITE_CREDENTIALS, date: SUITE_DATE });
    expect(signed.headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(signed.headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('signs AWS test suite "get-vanilla-query-order-key-case" to the published signature, sorting the query', async () => {
    const signed = await sigv4.signRequest({ method: 'GET', url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1', region: 'us-east-1', service: 'service', credentials: SUITE_CREDENTIALS, date: SUITE_DATE });
    expect(signed.headers['authorization']).toMatch(/Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/);
    expect(signed.url).toBe('https://example.amazonaws.com/?Param1=value1&Param2=value2');
  });

  it('produces the Authorization header @smithy/signature-v4 produces for an API GET with temporary credentials', async () => {
    const url = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/campaigns/c-1/jobs?limit=1000&cursor=eyJrIjoiYSJ9');
    const date = new Date('2025-03-04T05:06:07.890Z');
    const signed = await sigv4.signRequest({ method: 'GET', url, region: 'eu-west-1', service: 'execute-api', credentials: TEMPORARY, date });
    const expected = await smithyAuthorization(url, TEMPORARY, 'eu-west-1', 'execute-api', date);
    expect(signed.headers['authorization']).toBe(expected['authorization']);
    expect(signed.headers['authorization']).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
    expect(signed.headers['x-amz-date']).toBe(expected['x-amz-date']);
    expect(signed.headers['x-amz-security-token']).toBe(TEMPORARY.sessionToken);
  });

  it('agrees with @smithy/signature-v4 on paths and query values that need encoding', async () => {
    const url = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/devices/meter%20one%2Fb%C3%A9/telemetry');
    url.searchParams.set('cursor', 'a+b/c=d');
    url.searchParams.set('q', "x y*(!)'~é");
    url.searchParams.set('A', '0');
    const date = new Date('2025-03-04T05:06:07Z');
    const signed = await sigv4.signRequest({ method: 'GET', url, region: 'eu-west-1', service: 'execute-api', credentials: TEMPORARY, date });
    const expected = await smithyAuthorization(url, TEMPORARY, 'eu-west-1', 'execute-api', date);
    expect(signed.headers['authorization']).toBe(expected['authorization']);
    // The query goes on the wire exactly as signed: RFC 3986 encoding, %20 for a space, sorted.
    expect(new URL(signed.url).search).toBe("?A=0&cursor=a%2Bb%2Fc%3Dd&q=x%20y%2A%28%21%29%27~%C3%A9");
    expect(new URL(signed.url).pathname).toBe(url.pathname);
  });

  it('encodes each path segment twice, as every service but S3 expects, and folds dot segments', () => {
    expect(sigv4.canonicalUri('/devices/meter%20one')).toBe('/devices/meter%2520one');
    expect(sigv4.canonicalUri('/a/./b/../c/')).toBe('/a/c/');
    expect(sigv4.canonicalUri('/')).toBe('/');
  });

  it('sorts repeated query names by value', () => {
    expect(sigv4.canonicalQuery(new URLSearchParams('b=2&a=z&a=y'))).toBe('a=y&a=z&b=2');
  });

  it('changes the signature when the secret, the date or the URL changes', async () => {
    const base = { method: 'GET', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/campaigns', region: 'eu-west-1', service: 'execute-api', credentials: TEMPORARY, date: SUITE_DATE };
    const signature = async (overrides: Partial<typeof base>): Promise<string | undefined> => (await sigv4.signRequest({ ...base, ...overrides })).headers['authorization'];
    const reference = await signature({});
    expect(await signature({ credentials: { ...TEMPORARY, secretAccessKey: 'other' } })).not.toBe(reference);
    expect(await signature({ date: new Date(SUITE_DATE.getTime() + 1000) })).not.toBe(reference);
    expect(await signature({ url: `${base.url}?limit=1` })).not.toBe(reference);
  });
});
