/**
 * CoAP Content-Format numbers used by LwM2M (IANA CoAP Content-Formats registry;
 * LwM2M TS 1.1 §7.4, 1.2 §7.4.7 for LwM2M-CBOR).
 */
export const ContentFormat = {
  TEXT: 0,
  LINK_FORMAT: 40,
  OPAQUE: 42,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  TLV: 11542,
  LWM2M_JSON: 11543,
  LWM2M_CBOR: 11544,
} as const;
export type ContentFormat = (typeof ContentFormat)[keyof typeof ContentFormat];

const MEDIA_TYPES: ReadonlyMap<number, string> = new Map<number, string>([
  [ContentFormat.TEXT, 'text/plain'],
  [ContentFormat.LINK_FORMAT, 'application/link-format'],
  [ContentFormat.OPAQUE, 'application/octet-stream'],
  [ContentFormat.CBOR, 'application/cbor'],
  [ContentFormat.SENML_JSON, 'application/senml+json'],
  [ContentFormat.SENML_CBOR, 'application/senml+cbor'],
  [ContentFormat.TLV, 'application/vnd.oma.lwm2m+tlv'],
  [ContentFormat.LWM2M_JSON, 'application/vnd.oma.lwm2m+json'],
  [ContentFormat.LWM2M_CBOR, 'application/vnd.oma.lwm2m+cbor'],
]);

/**
 * Pre-registration numbers used by LwM2M 1.0 drafts and still sent by some 1.0 clients
 * (Leshan keeps the same aliases): 1541 text, 1542 TLV, 1543 JSON.
 */
const LEGACY_ALIASES: ReadonlyMap<number, ContentFormat> = new Map<number, ContentFormat>([
  [1541, ContentFormat.TEXT],
  [1542, ContentFormat.TLV],
  [1543, ContentFormat.LWM2M_JSON],
]);

/** True when `n` is one of the registered LwM2M content formats (legacy aliases excluded). */
export function isContentFormat(n: number): n is ContentFormat {
  return MEDIA_TYPES.has(n);
}

/** The registered format for `n`, mapping legacy 1541/1542/1543 to their IANA numbers. */
export function normalizeContentFormat(n: number): ContentFormat | undefined {
  if (isContentFormat(n)) return n;
  return LEGACY_ALIASES.get(n);
}

/** Media type name for logs and errors, e.g. `application/vnd.oma.lwm2m+tlv`. */
export function contentFormatName(n: number): string {
  const direct = MEDIA_TYPES.get(n);
  if (direct !== undefined) return direct;
  const alias = LEGACY_ALIASES.get(n);
  if (alias !== undefined) return `${MEDIA_TYPES.get(alias) ?? 'unknown'} (legacy ${n})`;
  return `unknown content format ${n}`;
}
