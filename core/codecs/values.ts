import { fail, ok, type Result } from '../result.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry, ResourceType } from '../lwm2m/objectRegistry.ts';
import { isObjectLink, type LwM2mEntry, type ObjectLink, type ResourceValue } from './model.ts';

/** Value conversions shared by the codecs: one place decides what a type accepts. */

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
// ECMAScript Date range is ±8.64e15 ms.
const MAX_TIME_SECONDS = 8_640_000_000_000;

/** The value a decoder read before the object model gave it a meaning. */
export type RawValue = number | bigint | string | boolean | Uint8Array | ObjectLink;

/** Registry type of the resource a path points into, or undefined for unknown resources. */
export function modelType(path: LwM2mPath, registry: ObjectRegistry): ResourceType | undefined {
  if (path.objectId === undefined || path.resourceId === undefined) return undefined;
  return registry.resource(path.objectId, path.resourceId)?.type;
}

/** A bigint as number when it is exactly representable, else kept as bigint. */
export function integerValue(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

export function formatObjectLink(link: ObjectLink): string {
  return `${link.objectId}:${link.instanceId}`;
}

export function parseObjectLink(text: string): ObjectLink | undefined {
  const match = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const objectId = Number(match[1]);
  const instanceId = Number(match[2]);
  return objectId <= 65535 && instanceId <= 65535 ? { objectId, instanceId } : undefined;
}

export function dateFromSeconds(seconds: number | bigint): Date | undefined {
  const s = Number(seconds);
  return Number.isFinite(s) && Math.abs(s) <= MAX_TIME_SECONDS ? new Date(s * 1000) : undefined;
}

/** Whole seconds since the epoch of a time value; undefined for an invalid Date. */
export function secondsOf(value: Date | number): number | undefined {
  const ms = value instanceof Date ? value.getTime() : value * 1000;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode: invalid sequences give undefined instead of U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Base64 or base64url, padded or not (RFC 4648); undefined on any other character. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Copies bytes into a Buffer that does not alias the payload. */
export function copyBytes(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

function describe(value: ResourceValue | RawValue): string {
  if (value instanceof Uint8Array) return 'opaque';
  if (value instanceof Date) return 'time';
  if (typeof value === 'object') return 'objlnk';
  return typeof value;
}

/** Type a value has on its own, for resources the registry does not know. */
export function inferType(value: ResourceValue): ResourceType {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'boolean') return 'boolean';
  if (value instanceof Uint8Array) return 'opaque';
  if (value instanceof Date) return 'time';
  return 'objlnk';
}

function accepts(type: ResourceType, value: ResourceValue): boolean {
  switch (type) {
    case 'string':
    case 'corelnk':
      return typeof value === 'string';
    case 'integer':
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX);
    case 'unsignedInteger':
      return (typeof value === 'number' && Number.isInteger(value) && value >= 0) || (typeof value === 'bigint' && value >= 0n && value <= UINT64_MAX);
    case 'float':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'opaque':
    case 'none':
      return value instanceof Uint8Array;
    case 'time':
      return (value instanceof Date && secondsOf(value) !== undefined) || (typeof value === 'number' && Number.isInteger(value));
    case 'objlnk':
      return isObjectLink(value) && Number.isInteger(value.objectId) && Number.isInteger(value.instanceId)
        && value.objectId >= 0 && value.objectId <= 65535 && value.instanceId >= 0 && value.instanceId <= 65535;
  }
}

/**
 * The type an entry is encoded as: the registry's type when known (the value must fit it),
 * otherwise the value's own type. Executable resources ('none') carry opaque bytes if anything.
 */
export function encodingType(entry: LwM2mEntry, registry: ObjectRegistry, format: number): Result<ResourceType, CodecError> {
  const known = modelType(entry.path, registry);
  const type = known === undefined || known === 'none' ? inferType(entry.value) : known;
  if (!accepts(type, entry.value)) {
    return fail(new CodecError(format, `${entry.path.toString()} is ${type}, cannot encode ${describe(entry.value)} value`));
  }
  return ok(type);
}

/** Gives a decoded value the meaning its resource type demands (SenML, CBOR, JSON decoders). */
export function coerceValue(raw: RawValue, type: ResourceType | undefined, path: LwM2mPath, format: number): Result<ResourceValue, CodecError> {
  const mismatch = (): Result<ResourceValue, CodecError> =>
    fail(new CodecError(format, `${path.toString()} is ${type ?? 'unknown'}, got ${describe(raw)} value`));
  switch (type) {
    case undefined:
    case 'none':
      return ok(typeof raw === 'bigint' ? integerValue(raw) : raw instanceof Uint8Array ? copyBytes(raw) : raw);
    case 'string':
    case 'corelnk':
      return typeof raw === 'string' ? ok(raw) : mismatch();
    case 'integer':
    case 'unsignedInteger': {
      const n = typeof raw === 'number' && Number.isInteger(raw) ? BigInt(raw) : typeof raw === 'bigint' ? raw : undefined;
      if (n === undefined) return mismatch();
      const inRange = type === 'integer' ? n >= INT64_MIN && n <= INT64_MAX : n >= 0n && n <= UINT64_MAX;
      return inRange ? ok(integerValue(n)) : mismatch();
    }
    case 'float':
      return typeof raw === 'number' ? ok(raw) : typeof raw === 'bigint' ? ok(Number(raw)) : mismatch();
    case 'time': {
      const date = typeof raw === 'number' || typeof raw === 'bigint' ? dateFromSeconds(raw) : undefined;
      return date === undefined ? mismatch() : ok(date);
    }
    case 'boolean':
      return typeof raw === 'boolean' ? ok(raw) : mismatch();
    case 'opaque':
      return raw instanceof Uint8Array ? ok(copyBytes(raw)) : mismatch();
    case 'objlnk': {
      const link = typeof raw === 'string' ? parseObjectLink(raw) : typeof raw === 'object' && !(raw instanceof Uint8Array) ? raw : undefined;
      return link === undefined ? mismatch() : ok(link);
    }
  }
}
