/** Option helpers for the simulated devices' node-coap requests and responses. */
import type coap from 'coap';

/** A CoAP uint option value (RFC 7252 §3.2): no leading zero bytes, 0 as empty. */
export function uintOption(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

const MEDIA_TYPES: Readonly<Record<string, number>> = {
  'text/plain': 0,
  'application/link-format': 40,
  'application/octet-stream': 42,
  'application/cbor': 60,
  'application/senml+json': 110,
  'application/senml+cbor': 112,
  'application/vnd.oma.lwm2m+tlv': 11542,
  'application/vnd.oma.lwm2m+json': 11543,
  'application/vnd.oma.lwm2m+cbor': 11544,
};

/** An option's raw bytes as received (before node-coap converts it). */
export function rawOption(req: coap.IncomingMessage, name: string): Buffer | undefined {
  const packet = (req as unknown as { _packet?: { options?: { name: string; value: unknown }[] } })._packet;
  const option = packet?.options?.find((o) => o.name === name);
  return Buffer.isBuffer(option?.value) ? option.value : undefined;
}

/** node-coap turns some format numbers into media type names and leaves others as bytes. */
function formatNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return value.reduce((n, b) => n * 256 + b, 0);
  if (typeof value === 'string') return MEDIA_TYPES[value.split(';')[0] ?? ''];
  return undefined;
}

export function acceptOf(req: coap.IncomingMessage): number | undefined {
  return formatNumber(req.headers['Accept'] ?? rawOption(req, 'Accept'));
}

export function contentFormatOf(req: coap.IncomingMessage): number | undefined {
  return formatNumber(req.headers['Content-Format'] ?? rawOption(req, 'Content-Format'));
}

export function tokenOf(req: coap.IncomingMessage): string {
  const token = (req as unknown as { _packet?: { token?: Buffer } })._packet?.token;
  return token === undefined ? '' : token.toString('hex');
}

/** The Observe option of a request: 0 register, 1 deregister (RFC 7641 §2), else undefined. */
export function observeOf(req: coap.IncomingMessage): number | undefined {
  const value = req.headers['Observe'];
  return typeof value === 'number' ? value : undefined;
}

export function reply(res: coap.OutgoingMessage, code: string, payload?: Buffer | string): void {
  res.code = code;
  res.end(payload);
}
