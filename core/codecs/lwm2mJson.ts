import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import type { Codec, LwM2mEntry } from './model.ts';
import { entriesToRecords, recordsToEntries, type SenmlRecord, type SenmlRecordDraft } from './senml.ts';
import { writeJsonNumber } from './senmlJson.ts';
import { decodeBase64, decodeUtf8, modelType } from './values.ts';

/**
 * Legacy LwM2M JSON (content-format 11543, formerly 1543), LwM2M TS 1.0 §6.4.4:
 * `{"bn":"/3/0/","e":[{"n":"0","sv":"..."},{"n":"9","v":100}]}`. Values: v (number, time),
 * bv (boolean), sv (string; opaque as base64), ov (object link "3:0"). Decoded through the
 * SenML record model, so names, paths and type rules match the SenML codecs.
 */

const FORMAT = ContentFormat.LWM2M_JSON;
const codecError = (message: string): CodecError => new CodecError(FORMAT, message);

function toRecord(item: unknown, index: number, baseName: string, registry: ObjectRegistry): Result<SenmlRecord, CodecError> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(codecError(`entry ${index} is not an object`));
  const record: SenmlRecordDraft = {};
  const { n, v, bv, sv, ov } = item as Record<string, unknown>;
  if (n !== undefined) {
    if (typeof n !== 'string') return fail(codecError(`entry ${index}: "n" must be a string`));
    record.n = n;
  }
  if (v !== undefined) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(codecError(`entry ${index}: "v" must be a finite number`));
    record.v = v;
  }
  if (bv !== undefined) {
    if (typeof bv !== 'boolean') return fail(codecError(`entry ${index}: "bv" must be a boolean`));
    record.vb = bv;
  }
  if (ov !== undefined) {
    if (typeof ov !== 'string') return fail(codecError(`entry ${index}: "ov" must be a string`));
    record.vlo = ov;
  }
  if (sv !== undefined) {
    if (typeof sv !== 'string') return fail(codecError(`entry ${index}: "sv" must be a string`));
    // Opaque resources travel as base64 in sv; the object model tells them apart from strings.
    const target = LwM2mPath.parse(baseName + (record.n ?? ''));
    if (target.success && modelType(target.data, registry) === 'opaque') {
      const bytes = decodeBase64(sv);
      if (bytes === undefined) return fail(codecError(`entry ${index}: "sv" is not base64 for an opaque resource`));
      record.vd = bytes;
    } else record.vs = sv;
  }
  return ok(record);
}

function parsePayload(payload: Uint8Array, registry: ObjectRegistry): Result<SenmlRecord[], CodecError> {
  const text = decodeUtf8(payload);
  if (text === undefined) return fail(codecError('payload is not valid UTF-8'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return fail(new CodecError(FORMAT, 'payload is not valid JSON', { cause }));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail(codecError('payload must be a JSON object'));
  const { bn, e } = parsed as Record<string, unknown>;
  if (bn !== undefined && typeof bn !== 'string') return fail(codecError('"bn" must be a string'));
  if (!Array.isArray(e)) return fail(codecError('"e" must be an array'));
  const baseName = bn ?? '';
  const records: SenmlRecord[] = [];
  for (const [index, item] of (e as unknown[]).entries()) {
    const record = toRecord(item, index, baseName, registry);
    if (!record.success) return record;
    records.push(index === 0 ? { bn: baseName, ...record.data } : record.data);
  }
  return ok(records);
}

/** One `e` entry with LwM2M JSON's value names (sv, bv, ov; opaque as base64 in sv). */
function writeEntry(record: SenmlRecord): Result<string, CodecError> {
  const fields: string[] = [];
  if (record.n !== undefined) fields.push(`"n":${JSON.stringify(record.n)}`);
  if (record.v !== undefined) {
    const number = writeJsonNumber(record.v);
    if (number === undefined) return fail(codecError(`${String(record.v)} cannot be written in JSON`));
    fields.push(`"v":${number}`);
  }
  if (record.vb !== undefined) fields.push(`"bv":${String(record.vb)}`);
  if (record.vs !== undefined) fields.push(`"sv":${JSON.stringify(record.vs)}`);
  if (record.vd !== undefined) fields.push(`"sv":"${Buffer.from(record.vd).toString('base64')}"`);
  if (record.vlo !== undefined) fields.push(`"ov":${JSON.stringify(record.vlo)}`);
  return ok(`{${fields.join(',')}}`);
}

export const lwm2mJsonCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError> {
    const records = parsePayload(payload, registry);
    return records.success ? recordsToEntries(records.data, requestPath, registry, FORMAT) : records;
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError> {
    const records = entriesToRecords(entries, requestPath, registry, FORMAT);
    if (!records.success) return records;
    const baseName = records.data[0]?.bn;
    const written: string[] = [];
    for (const record of records.data) {
      const entry = writeEntry(record);
      if (!entry.success) return entry;
      written.push(entry.data);
    }
    const bn = baseName === undefined ? '' : `"bn":${JSON.stringify(baseName)},`;
    return ok(Buffer.from(`{${bn}"e":[${written.join(',')}]}`, 'utf8'));
  },
};
