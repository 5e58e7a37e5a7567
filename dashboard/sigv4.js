// AWS Signature Version 4 for the dashboard's API requests, on WebCrypto (crypto.subtle): the
// deployed API is an HTTP API with IAM authorization (service `execute-api`). No dependency and no
// build step; the same module runs in the browser and in Node 20 (test/dashboard/sigv4.test.ts
// compares it with @smithy/signature-v4 and AWS's published test vectors).
// Reference: AWS docs, "Create a signed AWS API request" (canonical request, string to sign,
// signing key, signature).

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** SHA-256 of the empty payload: every request the dashboard signs is a GET without a body. */
export const EMPTY_PAYLOAD_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const encoder = new TextEncoder();

const toHex = (buffer) => Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');

async function sha256Hex(text) {
  return toHex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(key, text) {
  const cryptoKey = await crypto.subtle.importKey('raw', typeof key === 'string' ? encoder.encode(key) : key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(text));
}

/** RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is encoded. */
export function uriEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a path as it goes on the wire (already percent-encoded once): `.` and `..`
 * segments and empty segments folded, then encoded again, since every service but S3 wants each
 * segment encoded twice.
 */
export function canonicalUri(pathname) {
  const segments = [];
  for (const segment of pathname.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && pathname.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** The canonical query string: names and values encoded, sorted by name, then by value. */
export function canonicalQuery(searchParams) {
  return [...searchParams]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** `20150830T123600Z` */
export function amzDate(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Signs a request without a body. Returns the URL to send (its query rewritten in canonical form,
 * so the bytes on the wire are exactly what was signed, whatever URLSearchParams did with spaces)
 * and the headers to send with it: authorization, x-amz-date and, for temporary credentials,
 * x-amz-security-token. `host` is signed but not returned: the browser sets it.
 *
 * @param {{ method: string, url: URL | string, region: string, service: string,
 *   credentials: { accessKeyId: string, secretAccessKey: string, sessionToken?: string },
 *   date?: Date, headers?: Record<string, string> }} request
 * @returns {Promise<{ url: string, headers: Record<string, string> }>}
 */
export async function signRequest({ method, url, region, service, credentials, date = new Date(), headers = {} }) {
  const target = new URL(url);
  const longDate = amzDate(date);
  const shortDate = longDate.slice(0, 8);
  const scope = `${shortDate}/${region}/${service}/aws4_request`;
  const query = canonicalQuery(target.searchParams);

  const added = { 'x-amz-date': longDate, ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}) };
  const signed = new Map([['host', target.host]]);
  for (const [name, value] of Object.entries({ ...headers, ...added })) signed.set(name.toLowerCase(), String(value).trim().replace(/\s+/g, ' '));
  const names = [...signed.keys()].sort();
  const signedHeaders = names.join(';');

  const canonicalRequest = [
    method.toUpperCase(),
    canonicalUri(target.pathname),
    query,
    ...names.map((name) => `${name}:${signed.get(name)}`),
    '',
    signedHeaders,
    EMPTY_PAYLOAD_HASH,
  ].join('\n');
  const stringToSign = [ALGORITHM, longDate, scope, await sha256Hex(canonicalRequest)].join('\n');

  let key = `AWS4${credentials.secretAccessKey}`;
  for (const part of [shortDate, region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = toHex(await hmac(key, stringToSign));

  target.search = query === '' ? '' : `?${query}`;
  return {
    url: target.href,
    headers: {
      ...headers,
      ...added,
      authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    },
  };
}
