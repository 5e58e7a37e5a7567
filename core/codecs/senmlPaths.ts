import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import type { LwM2mEntry } from './model.ts';
import { recordsToEntries, type SenmlRecord } from './senml.ts';
import { parseSenmlCbor, stringifySenmlCbor } from './senmlCbor.ts';
import { parseSenmlJson, stringifySenmlJson } from './senmlJson.ts';

/**
 * SenML packs that are not plain values of one request path: the path lists of Read-Composite
 * and Observe-Composite requests (LwM2M TS 1.1 §5.4.8, §7.4.4: records with a name and no
 * value), and timestamped values of Send and notifications (RFC 8428 §4.5.3 times).
 */

export type SenmlFormat = typeof ContentFormat.SENML_JSON | typeof ContentFormat.SENML_CBOR;

export function isSenmlFormat(format: number | undefined): format is SenmlFormat {
  return format === ContentFormat.SENML_JSON || format === ContentFormat.SENML_CBOR;
}

function parseRecords(format: SenmlFormat, payload: Uint8Array): Result<SenmlRecord[], CodecError> {
  return format === ContentFormat.SENML_JSON ? parseSenmlJson(payload) : parseSenmlCbor(payload);
}

/** Path list of a composite request: `[{"n":"/3/0/9"},{"n":"/3303/0"}]`. */
export function encodePathList(format: SenmlFormat, paths: readonly LwM2mPath[]): Result<Buffer, CodecError> {
  const records: SenmlRecord[] = paths.map((path) => ({ n: path.toString() }));
  if (format === ContentFormat.SENML_CBOR) return stringifySenmlCbor(records);
  const text = stringifySenmlJson(records);
  return text.success ? ok(Buffer.from(text.data, 'utf8')) : text;
}

/** Reads a composite request's path list; "/" is the root. A record with a value is refused. */
export function decodePathList(format: SenmlFormat, payload: Uint8Array): Result<LwM2mPath[], CodecError> {
  const records = parseRecords(format, payload);
  if (!records.success) return records;
  if (records.data.length === 0) return fail(new CodecError(format, 'the path list is empty'));
  const paths: LwM2mPath[] = [];
  let baseName = '';
  for (const [index, record] of records.data.entries()) {
    if (record.bn !== undefined) baseName = record.bn;
    if ([record.v, record.vs, record.vb, record.vd, record.vlo].some((v) => v !== undefined)) {
      return fail(new CodecError(format, `record ${index}: a path list carries names only`));
    }
    const name = baseName + (record.n ?? '');
    if (name === '/') {
      paths.push(LwM2mPath.root());
      continue;
    }
    const path = LwM2mPath.parse(name);
    if (!path.success) return fail(new CodecError(format, `record ${index}: "${name.slice(0, 60)}" is not a path`));
    paths.push(path.data);
  }
  return ok(paths);
}

/** A decoded value with the time it was measured, when the pack said (epoch ms). */
export interface TimedEntry extends LwM2mEntry {
  readonly time?: number;
}

/** RFC 8428 §4.5.3: times below 2^28 are relative to now, in seconds; others are absolute. */
const RELATIVE_TIME_LIMIT = 2 ** 28;

/**
 * Values of a Send (§6.4.7) or of a composite notification, with their SenML times resolved
 * (`bt` carries over to later records, `t` adds to it). Names are absolute paths.
 */
export function decodeTimedSenml(format: SenmlFormat, payload: Uint8Array, registry: ObjectRegistry, nowMs: number): Result<TimedEntry[], CodecError> {
  const records = parseRecords(format, payload);
  if (!records.success) return records;
  const entries = recordsToEntries(records.data, LwM2mPath.root(), registry, format);
  if (!entries.success) return entries;
  let baseTime: number | undefined;
  return ok(
    entries.data.map((entry, index) => {
      const record = records.data[index];
      if (record?.bt !== undefined) baseTime = record.bt;
      if (baseTime === undefined && record?.t === undefined) return entry;
      const seconds = (baseTime ?? 0) + (record?.t ?? 0);
      const time = Math.abs(seconds) < RELATIVE_TIME_LIMIT ? nowMs + seconds * 1000 : seconds * 1000;
      return Number.isFinite(time) ? { ...entry, time: Math.round(time) } : entry;
    }),
  );
}
