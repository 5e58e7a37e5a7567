import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import type { Codec, LwM2mEntry } from './model.ts';
import { entriesToRecords, recordsToEntries, type SenmlRecord, type SenmlRecordDraft } from './senml.ts';
import { decodeBase64, decodeUtf8 } from './values.ts';

/**
 * SenML JSON (content-format 110), RFC 8428 §4-5 and LwM2M TS 1.1 §7.4.4. `vd` is base64url
 * without padding (RFC 8428 §4.3); standard base64 and padding are accepted on decode.
 * JSON numbers beyond 2^53 lose precision in JSON.parse; encoding writes bigint digits exactly.
 */

const FORMAT = ContentFormat.SENML_JSON;
const codecError = (message: string): CodecError => new CodecError(FORMAT, message);

function toRecord(item: unknown, index: number): Result<SenmlRecord, CodecError> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(codecError(`record ${index} is not an object`));
  const record: SenmlRecordDraft = {};
  for (const [key, value] of Object.entries(item)) {
    const wrongType = (expected: string): Result<SenmlRecord, CodecError> =>
      fail(codecError(`record ${index}: "${key}" must be ${expected}`));
    switch (key) {
      case 'bn':
      case 'n':
      case 'vs':
      case 'vlo':
        if (typeof value !== 'string') return wrongType('a string');
        record[key] = value;
        break;
      case 'bt':
      case 't':
      case 'bv':
      case 'v':
        // JSON.parse turns 1e999 into Infinity.
        if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType('a finite number');
        record[key] = value;
        break;
      case 'vb':
        if (typeof value !== 'boolean') return wrongType('a boolean');
        record.vb = value;
        break;
      case 'vd': {
        const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
        if (bytes === undefined) return wrongType('base64url data');
        record.vd = bytes;
        break;
      }
      default:
        // RFC 8428 §4.4: labels ending in "_" must be understood or the pack rejected; other
        // unknown labels (and u, bu, bver, s, ut, which LwM2M does not use) are ignored.
        if (key.endsWith('_')) return fail(codecError(`record ${index}: unsupported must-understand field "${key}"`));
    }
  }
  return ok(record);
}

/** Parses a SenML JSON pack into records without interpreting names. */
export function parseSenmlJson(payload: Uint8Array): Result<SenmlRecord[], CodecError> {
  const text = decodeUtf8(payload);
  if (text === undefined) return fail(codecError('payload is not valid UTF-8'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return fail(new CodecError(FORMAT, 'payload is not valid JSON', { cause }));
  }
  if (!Array.isArray(parsed)) return fail(codecError('SenML pack must be a JSON array'));
  const records: SenmlRecord[] = [];
  for (const [index, item] of (parsed as unknown[]).entries()) {
    const record = toRecord(item, index);
    if (!record.success) return record;
    records.push(record.data);
  }
  return ok(records);
}

/** A JSON number literal; bigint keeps every digit, non-finite numbers have none. */
export function writeJsonNumber(value: number | bigint): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  return Number.isFinite(value) ? JSON.stringify(value) : undefined;
}

/** Writes records by hand so bigint values keep every digit. */
export function stringifySenmlJson(records: readonly SenmlRecord[]): Result<string, CodecError> {
  const parts: string[] = [];
  for (const record of records) {
    const fields: string[] = [];
    if (record.bn !== undefined) fields.push(`"bn":${JSON.stringify(record.bn)}`);
    if (record.n !== undefined) fields.push(`"n":${JSON.stringify(record.n)}`);
    if (record.v !== undefined) {
      const n = writeJsonNumber(record.v);
      if (n === undefined) return fail(codecError(`${String(record.v)} cannot be written in SenML JSON`));
      fields.push(`"v":${n}`);
    }
    if (record.vs !== undefined) fields.push(`"vs":${JSON.stringify(record.vs)}`);
    if (record.vb !== undefined) fields.push(`"vb":${String(record.vb)}`);
    if (record.vd !== undefined) fields.push(`"vd":"${Buffer.from(record.vd).toString('base64url')}"`);
    if (record.vlo !== undefined) fields.push(`"vlo":${JSON.stringify(record.vlo)}`);
    parts.push(`{${fields.join(',')}}`);
  }
  return ok(`[${parts.join(',')}]`);
}

export const senmlJsonCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError> {
    const records = parseSenmlJson(payload);
    return records.success ? recordsToEntries(records.data, requestPath, registry, FORMAT) : records;
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError> {
    const records = entriesToRecords(entries, requestPath, registry, FORMAT);
    if (!records.success) return records;
    const text = stringifySenmlJson(records.data);
    return text.success ? ok(Buffer.from(text.data, 'utf8')) : text;
  },
};
