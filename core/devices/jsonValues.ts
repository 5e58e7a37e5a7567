/**
 * Resource values as the REST API and the request store carry them (JSON), and back: bytes as
 * `{ base64 }`, times as ISO strings, object links as "3:0". Going in, a value is given the type
 * its resource has in the object registry, so `"21.5"` typed at a CLI becomes a float for
 * /3303/0/5700 and stays a string for a resource the registry does not know.
 */
import { fail, ok, type Result } from '../result.ts';
import { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry, ResourceType } from '../lwm2m/objectRegistry.ts';
import type { LwM2mEntry, ResourceValue } from '../codecs/model.ts';
import { coerceValue, modelType, type RawValue } from '../codecs/values.ts';
import type { JsonResourceValue, UndecodableValue } from './DeviceRequest.ts';
import { InvalidOperationError } from './errors.ts';

export function toJsonValue(value: ResourceValue): JsonResourceValue {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (typeof value === 'object') return `${value.objectId}:${value.instanceId}`;
  return value;
}

/** Values keyed by path string, the last one winning for a repeated path; undecodable ones are left to `undecodableValues`. */
export function toJsonValues(entries: readonly LwM2mEntry[]): Record<string, JsonResourceValue> {
  const values: Record<string, JsonResourceValue> = {};
  for (const entry of entries) if (entry.undecodable === undefined) values[entry.path.toString()] = toJsonValue(entry.value);
  return values;
}

/** The values a decoder could not decode, keyed by path: why, and their raw bytes as hex. */
export function undecodableValues(entries: readonly LwM2mEntry[]): Record<string, UndecodableValue> | undefined {
  const errors: Record<string, UndecodableValue> = {};
  for (const entry of entries) {
    if (entry.undecodable === undefined) continue;
    const raw = entry.value instanceof Uint8Array ? Buffer.from(entry.value).toString('hex') : '';
    errors[entry.path.toString()] = { error: entry.undecodable, hex: raw };
  }
  return Object.keys(errors).length === 0 ? undefined : errors;
}

/** Text typed by a person, read as the resource type asks. */
function rawFromText(text: string, type: ResourceType | undefined): RawValue {
  switch (type) {
    case 'integer':
    case 'unsignedInteger':
      return /^-?\d{1,20}$/.test(text) ? BigInt(text) : text;
    case 'float':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
    case 'time': {
      if (/^-?\d{1,12}$/.test(text)) return Number(text);
      const ms = Date.parse(text);
      return Number.isNaN(ms) ? text : Math.floor(ms / 1000);
    }
    default:
      return text;
  }
}

/** One JSON value given the type of the resource at `path`. */
export function fromJsonValue(value: JsonResourceValue, path: LwM2mPath, registry: ObjectRegistry): Result<ResourceValue, InvalidOperationError> {
  const type = modelType(path, registry);
  let raw: RawValue;
  if (typeof value === 'object') {
    if (typeof value.base64 !== 'string') return fail(new InvalidOperationError(`${path.toString()}: expected { base64 } for bytes`));
    raw = Buffer.from(value.base64, 'base64');
  } else if (typeof value === 'string') {
    raw = rawFromText(value, type);
  } else if (type === 'string' || type === 'corelnk') {
    raw = String(value);
  } else {
    raw = value;
  }
  // An integral number for a resource of unknown type stays a number; coerceValue checks ranges.
  const coerced = coerceValue(raw, type, path, 0);
  return coerced.success ? coerced : fail(new InvalidOperationError(coerced.error.message));
}

/**
 * Entries from values keyed by a path relative to `base` ("5700", "6/0"), or absolute when
 * `base` is the root ("/3303/0/5700"). Every key must name a resource or resource instance.
 */
export function entriesFromJson(
  base: LwM2mPath,
  values: Readonly<Record<string, JsonResourceValue>>,
  registry: ObjectRegistry,
): Result<LwM2mEntry[], InvalidOperationError> {
  const entries: LwM2mEntry[] = [];
  const prefix = base.level === 'root' ? '' : base.toString();
  for (const [key, value] of Object.entries(values)) {
    const relative = key.startsWith('/') ? key.slice(1) : key;
    const parsed = LwM2mPath.parse(`${prefix}/${relative}`);
    if (!parsed.success) return fail(new InvalidOperationError(`"${key}" is not a path under ${base.toString()}: ${parsed.error.message}`));
    const path = parsed.data;
    if (path.level !== 'resource' && path.level !== 'resourceInstance') {
      return fail(new InvalidOperationError(`"${key}" names ${path.toString()}, not a resource under ${base.toString()}`));
    }
    const converted = fromJsonValue(value, path, registry);
    if (!converted.success) return converted;
    entries.push({ path, value: converted.data });
  }
  if (entries.length === 0) return fail(new InvalidOperationError(`no values given for ${base.toString()}`));
  return ok(entries);
}
