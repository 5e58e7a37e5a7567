import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import { decodeCbor, encodeCbor } from './cborWire.ts';
import type { Codec, LwM2mEntry } from './model.ts';
import { entriesToRecords, recordsToEntries, type SenmlRecord, type SenmlRecordDraft } from './senml.ts';

/**
 * SenML CBOR (content-format 112), RFC 8428 §6 and LwM2M TS 1.1 §7.4.5: an array of maps with
 * integer labels; LwM2M's object-link value uses the text label "vlo".
 */

const FORMAT = ContentFormat.SENML_CBOR;
const codecError = (message: string): CodecError => new CodecError(FORMAT, message);

/** RFC 8428 Table 6 labels LwM2M uses. */
export const SenmlCborLabel = {
  bn: -2,
  bt: -3,
  bv: -5,
  n: 0,
  u: 1,
  v: 2,
  vs: 3,
  vb: 4,
  t: 6,
  vd: 8,
  vlo: 'vlo',
} as const;

function isNumber(value: unknown): value is number | bigint {
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint';
}

function toRecord(item: unknown, index: number): Result<SenmlRecord, CodecError> {
  if (!(item instanceof Map)) return fail(codecError(`record ${index} is not a CBOR map`));
  const record: SenmlRecordDraft = {};
  for (const [label, value] of item as Map<unknown, unknown>) {
    const wrongType = (expected: string): Result<SenmlRecord, CodecError> =>
      fail(codecError(`record ${index}: label ${String(label)} must be ${expected}`));
    switch (label) {
      case SenmlCborLabel.bn:
        if (typeof value !== 'string') return wrongType('a text string');
        record.bn = value;
        break;
      case SenmlCborLabel.n:
        if (typeof value !== 'string') return wrongType('a text string');
        record.n = value;
        break;
      case SenmlCborLabel.vs:
        if (typeof value !== 'string') return wrongType('a text string');
        record.vs = value;
        break;
      case SenmlCborLabel.vlo:
        if (typeof value !== 'string') return wrongType('a text string');
        record.vlo = value;
        break;
      case SenmlCborLabel.v:
        if (!isNumber(value)) return wrongType('a number');
        record.v = value;
        break;
      case SenmlCborLabel.bv:
        if (!isNumber(value)) return wrongType('a number');
        record.bv = Number(value);
        break;
      case SenmlCborLabel.bt:
        if (!isNumber(value)) return wrongType('a number');
        record.bt = Number(value);
        break;
      case SenmlCborLabel.t:
        if (!isNumber(value)) return wrongType('a number');
        record.t = Number(value);
        break;
      case SenmlCborLabel.vb:
        if (typeof value !== 'boolean') return wrongType('a boolean');
        record.vb = value;
        break;
      case SenmlCborLabel.vd:
        if (!(value instanceof Uint8Array)) return wrongType('a byte string');
        record.vd = value;
        break;
      default:
        // RFC 8428 §4.4: "_"-suffixed labels must be understood; other unknown labels are ignored.
        if (typeof label === 'string' && label.endsWith('_')) return fail(codecError(`record ${index}: unsupported label ${label}`));
        if (typeof label !== 'string' && typeof label !== 'number') return fail(codecError(`record ${index}: invalid label`));
    }
  }
  return ok(record);
}

function toCborMap(record: SenmlRecord): Map<number | string, unknown> {
  const map = new Map<number | string, unknown>();
  if (record.bn !== undefined) map.set(SenmlCborLabel.bn, record.bn);
  if (record.n !== undefined) map.set(SenmlCborLabel.n, record.n);
  if (record.v !== undefined) map.set(SenmlCborLabel.v, record.v);
  if (record.vs !== undefined) map.set(SenmlCborLabel.vs, record.vs);
  if (record.vb !== undefined) map.set(SenmlCborLabel.vb, record.vb);
  if (record.vd !== undefined) map.set(SenmlCborLabel.vd, record.vd);
  if (record.vlo !== undefined) map.set(SenmlCborLabel.vlo, record.vlo);
  return map;
}

/** Parses a SenML CBOR pack into records without interpreting names. */
export function parseSenmlCbor(payload: Uint8Array): Result<SenmlRecord[], CodecError> {
  const pack = decodeCbor(payload, FORMAT);
  if (!pack.success) return pack;
  if (!Array.isArray(pack.data)) return fail(codecError('SenML pack must be a CBOR array'));
  const records: SenmlRecord[] = [];
  for (const [index, item] of (pack.data as unknown[]).entries()) {
    const record = toRecord(item, index);
    if (!record.success) return record;
    records.push(record.data);
  }
  return ok(records);
}

/** Encodes records (names and values already resolved) as a SenML CBOR pack. */
export function stringifySenmlCbor(records: readonly SenmlRecord[]): Result<Buffer, CodecError> {
  return encodeCbor(records.map(toCborMap), FORMAT);
}

export const senmlCborCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError> {
    const records = parseSenmlCbor(payload);
    return records.success ? recordsToEntries(records.data, requestPath, registry, FORMAT) : records;
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError> {
    const records = entriesToRecords(entries, requestPath, registry, FORMAT);
    return records.success ? encodeCbor(records.data.map(toCborMap), FORMAT) : records;
  },
};
