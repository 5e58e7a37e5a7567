import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry, ResourceType } from '../lwm2m/objectRegistry.ts';
import type { Codec, LwM2mEntry, ResourceValue } from './model.ts';
import { requireResourcePath, singleEntry } from './single.ts';
import {
  copyBytes, dateFromSeconds, decodeBase64, decodeUtf8, encodingType, formatObjectLink, INT64_MAX, INT64_MIN,
  integerValue, modelType, parseObjectLink, secondsOf, UINT64_MAX,
} from './values.ts';

/** Plain text (content-format 0), LwM2M TS 1.1 §7.4.1: one resource value as UTF-8 text. */

const FORMAT = ContentFormat.TEXT;
const INTEGER = /^[+-]?\d{1,20}$/;
const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?$/;

function parseText(text: string, type: ResourceType | undefined): ResourceValue | undefined {
  const trimmed = text.trim();
  switch (type) {
    case undefined:
    case 'string':
    case 'corelnk':
    case 'none':
      return text;
    case 'integer':
    case 'unsignedInteger': {
      if (!INTEGER.test(trimmed)) return undefined;
      const n = BigInt(trimmed);
      const inRange = type === 'integer' ? n >= INT64_MIN && n <= INT64_MAX : n >= 0n && n <= UINT64_MAX;
      return inRange ? integerValue(n) : undefined;
    }
    case 'float':
      return FLOAT.test(trimmed) ? Number(trimmed) : undefined;
    case 'boolean':
      // The spec says "0"/"1"; some 1.0 clients send true/false.
      return trimmed === '1' || trimmed === 'true' ? true : trimmed === '0' || trimmed === 'false' ? false : undefined;
    case 'time':
      return INTEGER.test(trimmed) ? dateFromSeconds(BigInt(trimmed)) : undefined;
    case 'opaque':
      return decodeBase64(trimmed);
    case 'objlnk':
      return parseObjectLink(trimmed);
  }
}

function formatText(value: ResourceValue, type: ResourceType): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return String(secondsOf(value));
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    // Integral types never use exponent notation (String(1e21) is "1e+21").
    return type === 'float' ? String(value) : BigInt(value).toString();
  }
  return formatObjectLink(value);
}

export const textCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError> {
    const checked = requireResourcePath(requestPath, FORMAT);
    if (!checked.success) return checked;
    const text = decodeUtf8(payload);
    // Kept as raw bytes marked undecodable, so the read reports the value instead of failing.
    if (text === undefined) return ok([{ path: requestPath, value: copyBytes(payload), undecodable: `${requestPath.toString()}: not valid UTF-8` }]);
    const type = modelType(requestPath, registry);
    const value = parseText(text, type);
    if (value === undefined) {
      return fail(new CodecError(FORMAT, `"${text.slice(0, 40)}" is not a valid ${type ?? 'string'} for ${requestPath.toString()}`));
    }
    return ok([{ path: requestPath, value }]);
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError> {
    const entry = singleEntry(entries, requestPath, FORMAT);
    if (!entry.success) return entry;
    const type = encodingType(entry.data, registry, FORMAT);
    if (!type.success) return type;
    const text = formatText(entry.data.value, type.data);
    if (text === undefined) return fail(new CodecError(FORMAT, `${requestPath.toString()}: ${String(entry.data.value)} has no text form`));
    return ok(Buffer.from(text, 'utf8'));
  },
};
