import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import { decodeCbor, encodeCbor, encodeCborFloat } from './cborWire.ts';
import { isObjectLink, type Codec, type LwM2mEntry, type ResourceValue } from './model.ts';
import { requireResourcePath, singleEntry } from './single.ts';
import { coerceValue, encodingType, formatObjectLink, modelType, secondsOf, type RawValue } from './values.ts';

/**
 * CBOR (content-format 60), LwM2M TS 1.1 §7.4.6: one resource value as one CBOR data item.
 * Object links are text "3:0"; time is integer seconds (a tag 0/1 date is accepted on decode,
 * as the TS leaves the time representation open and Zephyr sends tag 0 strings).
 */

const FORMAT = ContentFormat.CBOR;

function toRaw(item: unknown): RawValue | Date | undefined {
  if (typeof item === 'number' || typeof item === 'bigint' || typeof item === 'string' || typeof item === 'boolean') return item;
  if (item instanceof Uint8Array || item instanceof Date) return item;
  return undefined;
}

export const cborCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError> {
    const checked = requireResourcePath(requestPath, FORMAT);
    if (!checked.success) return checked;
    const item = decodeCbor(payload, FORMAT);
    if (!item.success) return item;
    const raw = toRaw(item.data);
    if (raw === undefined) return fail(new CodecError(FORMAT, `${requestPath.toString()}: CBOR item is not a single value`));
    const type = modelType(requestPath, registry);
    let value: Result<ResourceValue, CodecError>;
    if (raw instanceof Date) {
      value = (type === 'time' || type === undefined) && !Number.isNaN(raw.getTime())
        ? ok(raw)
        : fail(new CodecError(FORMAT, `${requestPath.toString()} is ${type ?? 'unknown'}, got a CBOR date`));
    } else {
      value = coerceValue(raw, type, requestPath, FORMAT);
    }
    return value.success ? ok([{ path: requestPath, value: value.data }]) : value;
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError> {
    const entry = singleEntry(entries, requestPath, FORMAT);
    if (!entry.success) return entry;
    const type = encodingType(entry.data, registry, FORMAT);
    if (!type.success) return type;
    const { value } = entry.data;
    // cbor-x writes integral numbers as integers; a float resource must stay a float.
    if (type.data === 'float' && typeof value === 'number') return ok(encodeCborFloat(value));
    if (value instanceof Date) return encodeCbor(secondsOf(value), FORMAT);
    if (isObjectLink(value)) return encodeCbor(formatObjectLink(value), FORMAT);
    // cbor-x writes integers beyond 32 bits as doubles unless they are bigint.
    if (typeof value === 'number' && Math.abs(value) > 0xffffffff) return encodeCbor(BigInt(value), FORMAT);
    return encodeCbor(value, FORMAT);
  },
};
