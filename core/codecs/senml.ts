import { fail, ok, type Result } from '../result.ts';
import { CodecError } from '../lwm2m/errors.ts';
import { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import { isObjectLink, type LwM2mEntry } from './model.ts';
import { coerceValue, encodingType, formatObjectLink, modelType, parseObjectLink, secondsOf, type RawValue } from './values.ts';

/**
 * SenML records (RFC 8428) as LwM2M 1.1 uses them (TS 1.1 §7.4.4-7.4.5), shared by the JSON
 * and CBOR representations: name = base name + name is a path, one of v/vs/vb/vd/vlo is the value.
 */
export interface SenmlRecord {
  readonly bn?: string;
  /** Times are parsed and validated, but LwM2mEntry carries no timestamp (see Send, §6.4.7). */
  readonly bt?: number;
  readonly bv?: number;
  readonly n?: string;
  readonly t?: number;
  readonly v?: number | bigint;
  readonly vs?: string;
  readonly vb?: boolean;
  readonly vd?: Uint8Array;
  readonly vlo?: string;
}

/** Mutable while a decoder fills it in. */
export type SenmlRecordDraft = { -readonly [K in keyof SenmlRecord]: SenmlRecord[K] };

// Past this, integers leave cbor-x's 32-bit fast path and would be encoded as floats.
const SMALL_INTEGER = 0xffffffff;

function rawValue(record: SenmlRecord, baseValue: number | undefined): RawValue | undefined {
  if (record.v !== undefined) {
    if (baseValue === undefined) return record.v;
    return typeof record.v === 'bigint' ? record.v + BigInt(Math.trunc(baseValue)) : record.v + baseValue;
  }
  if (record.vs !== undefined) return record.vs;
  if (record.vb !== undefined) return record.vb;
  if (record.vd !== undefined) return record.vd;
  if (record.vlo !== undefined) return parseObjectLink(record.vlo);
  return undefined;
}

function valueCount(record: SenmlRecord): number {
  return [record.v, record.vs, record.vb, record.vd, record.vlo].filter((v) => v !== undefined).length;
}

/** Resolves names and values; every entry must lie under `requestPath`. */
export function recordsToEntries(
  records: readonly SenmlRecord[],
  requestPath: LwM2mPath,
  registry: ObjectRegistry,
  format: number,
): Result<LwM2mEntry[], CodecError> {
  const entries: LwM2mEntry[] = [];
  let baseName = '';
  let baseValue: number | undefined;
  for (const [index, record] of records.entries()) {
    if (record.bn !== undefined) baseName = record.bn;
    if (record.bv !== undefined) baseValue = record.bv;
    const name = baseName + (record.n ?? '');
    const path = LwM2mPath.parse(name);
    if (!path.success || (path.data.level !== 'resource' && path.data.level !== 'resourceInstance')) {
      return fail(new CodecError(format, `record ${index}: "${name.slice(0, 60)}" is not a resource path`));
    }
    if (!requestPath.isPrefixOf(path.data)) {
      return fail(new CodecError(format, `record ${index}: ${name} is outside ${requestPath.toString()}`));
    }
    if (valueCount(record) !== 1) {
      return fail(new CodecError(format, `record ${index}: expected exactly one of v, vs, vb, vd, vlo`));
    }
    const raw = rawValue(record, baseValue);
    if (raw === undefined) return fail(new CodecError(format, `record ${index}: vlo "${record.vlo ?? ''}" is not an object link`));
    const value = coerceValue(raw, modelType(path.data, registry), path.data, format);
    if (!value.success) return value;
    entries.push({ path: path.data, value: value.data });
  }
  return ok(entries);
}

/**
 * Records for entries under `requestPath`: the first carries `bn` (the request path), the others
 * only a relative `n`, as in the TS 1.1 §7.4.4 examples. A single value at the request path is
 * one record with `bn` only.
 */
export function entriesToRecords(
  entries: readonly LwM2mEntry[],
  requestPath: LwM2mPath,
  registry: ObjectRegistry,
  format: number,
): Result<SenmlRecord[], CodecError> {
  const [only] = entries;
  const single = entries.length === 1 && only !== undefined && only.path.equals(requestPath);
  const base = requestPath.level === 'root' ? '' : `${requestPath.toString()}/`;
  const records: SenmlRecord[] = [];
  for (const [index, entry] of entries.entries()) {
    const level = entry.path.level;
    if ((level !== 'resource' && level !== 'resourceInstance') || !requestPath.isPrefixOf(entry.path)) {
      return fail(new CodecError(format, `${entry.path.toString()} is not a resource under ${requestPath.toString()}`));
    }
    const type = encodingType(entry, registry, format);
    if (!type.success) return type;
    const names: SenmlRecordDraft = {};
    if (single) names.bn = entry.path.toString();
    else if (base === '') names.n = entry.path.toString();
    else {
      if (index === 0) names.bn = base;
      names.n = entry.path.toString().slice(base.length);
    }
    const { value } = entry;
    if (typeof value === 'string') records.push({ ...names, vs: value });
    else if (typeof value === 'boolean') records.push({ ...names, vb: value });
    else if (value instanceof Uint8Array) records.push({ ...names, vd: value });
    else if (value instanceof Date) records.push({ ...names, v: secondsOf(value) ?? 0 });
    else if (isObjectLink(value)) records.push({ ...names, vlo: formatObjectLink(value) });
    else if (typeof value === 'number' && type.data !== 'float' && Math.abs(value) > SMALL_INTEGER) {
      records.push({ ...names, v: BigInt(value) });
    } else records.push({ ...names, v: value });
  }
  return ok(records);
}
