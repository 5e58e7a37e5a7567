/** CoAP option numbers (RFC 7252 §12.2, RFC 7641, RFC 7959) and uint option codecs. */
export const CoapOption = {
  IfMatch: 1,
  UriHost: 3,
  ETag: 4,
  Observe: 6,
  UriPort: 7,
  LocationPath: 8,
  UriPath: 11,
  ContentFormat: 12,
  MaxAge: 14,
  UriQuery: 15,
  Accept: 17,
  LocationQuery: 20,
  Block2: 23,
  Block1: 27,
  Size2: 28,
  Size1: 60,
} as const;

export function encodeUint(value: number): Buffer {
  if (value === 0) return Buffer.alloc(0);
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

export function decodeUint(bytes: Uint8Array): number {
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

/** Content-Format (and Accept) option values by format, encoded once: a handful of formats serve every reply and request. */
const formatValues = new Map<number, Buffer>();

export function contentFormatValue(format: number): Buffer {
  let value = formatValues.get(format);
  if (value === undefined) {
    value = encodeUint(format);
    formatValues.set(format, value);
  }
  return value;
}
