import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry, ResourceType } from '../lwm2m/objectRegistry.ts';
import { isObjectLink, type Codec, type LwM2mEntry, type ResourceValue } from './model.ts';
import { readTlvs, writeTlv, type Tlv } from './tlvWire.ts';
import {
  copyBytes, dateFromSeconds, decodeUtf8, encodingType, integerValue, modelType, secondsOf,
} from './values.ts';

/** OMA TLV (content-format 11542), LwM2M TS 1.1 §7.4.3; the format every 1.0 client speaks. */

const FORMAT = ContentFormat.TLV;
const codecError = (message: string): CodecError => new CodecError(FORMAT, message);

function decodeValue(bytes: Uint8Array, type: ResourceType | undefined, path: LwM2mPath): Result<ResourceValue, CodecError> {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.length;
  const bad = (): Result<ResourceValue, CodecError> =>
    fail(codecError(type === 'string' || type === 'corelnk' ? `${path.toString()}: not valid UTF-8` : `${path.toString()}: ${n} bytes are not a valid ${type ?? 'opaque'} value`));
  const isIntSize = n === 1 || n === 2 || n === 4 || n === 8;
  switch (type) {
    case 'integer':
      if (!isIntSize) return bad();
      return ok(n === 8 ? integerValue(view.readBigInt64BE(0)) : view.readIntBE(0, n));
    case 'unsignedInteger':
      if (!isIntSize) return bad();
      return ok(n === 8 ? integerValue(view.readBigUInt64BE(0)) : view.readUIntBE(0, n));
    case 'time': {
      if (!isIntSize) return bad();
      const date = dateFromSeconds(n === 8 ? view.readBigInt64BE(0) : view.readIntBE(0, n));
      return date === undefined ? bad() : ok(date);
    }
    case 'float':
      return n === 4 ? ok(view.readFloatBE(0)) : n === 8 ? ok(view.readDoubleBE(0)) : bad();
    case 'boolean':
      return n === 1 && (view[0] === 0 || view[0] === 1) ? ok(view[0] === 1) : bad();
    case 'string':
    case 'corelnk': {
      const text = decodeUtf8(view);
      return text === undefined ? bad() : ok(text);
    }
    case 'objlnk':
      return n === 4 ? ok({ objectId: view.readUInt16BE(0), instanceId: view.readUInt16BE(2) }) : bad();
    case 'opaque':
    case 'none':
    case undefined:
      return ok(copyBytes(view));
  }
}

function decodeResources(tlvs: readonly Tlv[], instancePath: LwM2mPath, registry: ObjectRegistry, out: LwM2mEntry[]): Result<void, CodecError> {
  for (const tlv of tlvs) {
    if (tlv.kind === 'objectInstance' || tlv.kind === 'resourceInstance') {
      return fail(codecError(`${tlv.kind} TLV ${tlv.id} where resources were expected under ${instancePath.toString()}`));
    }
    const resourcePath = instancePath.append(tlv.id);
    const decoded = tlv.kind === 'resourceValue'
      ? decodeLeaf(tlv.value, resourcePath, registry, out)
      : decodeInstances(tlv.children, resourcePath, registry, out);
    if (!decoded.success) return decoded;
  }
  return ok(undefined);
}

function decodeInstances(tlvs: readonly Tlv[], resourcePath: LwM2mPath, registry: ObjectRegistry, out: LwM2mEntry[]): Result<void, CodecError> {
  for (const tlv of tlvs) {
    if (tlv.kind !== 'resourceInstance') return fail(codecError(`${tlv.kind} TLV inside multiple resource ${resourcePath.toString()}`));
    const decoded = decodeLeaf(tlv.value, resourcePath.append(tlv.id), registry, out);
    if (!decoded.success) return decoded;
  }
  return ok(undefined);
}

/**
 * One value; one that does not decode as its resource type (a string that is not UTF-8, an
 * integer of 3 bytes) is kept as raw bytes marked undecodable, and the rest of the reply stands.
 */
function decodeLeaf(bytes: Uint8Array, path: LwM2mPath, registry: ObjectRegistry, out: LwM2mEntry[]): Result<void, CodecError> {
  const value = decodeValue(bytes, modelType(path, registry), path);
  out.push(value.success ? { path, value: value.data } : { path, value: copyBytes(bytes), undecodable: value.error.message });
  return ok(undefined);
}

/** Decodes the records a response to `requestPath` holds (§7.4.3.2 examples per level). */
function decodeAt(tlvs: readonly Tlv[], requestPath: LwM2mPath, registry: ObjectRegistry, out: LwM2mEntry[]): Result<void, CodecError> {
  const [first] = tlvs;
  switch (requestPath.level) {
    case 'root':
      return fail(codecError('TLV cannot be decoded at the root path'));
    case 'object': {
      if (tlvs.every((t) => t.kind === 'objectInstance')) {
        for (const tlv of tlvs) {
          if (tlv.kind !== 'objectInstance') continue;
          const decoded = decodeResources(tlv.children, requestPath.append(tlv.id), registry, out);
          if (!decoded.success) return decoded;
        }
        return ok(undefined);
      }
      // Some clients omit the Object Instance TLV for single-instance objects (as Leshan accepts).
      const model = requestPath.objectId === undefined ? undefined : registry.get(requestPath.objectId);
      if (model?.multiple === false) return decodeResources(tlvs, requestPath.append(0), registry, out);
      return fail(codecError(`expected object instance TLVs for ${requestPath.toString()}`));
    }
    case 'instance':
      if (tlvs.length === 1 && first?.kind === 'objectInstance') {
        if (first.id !== requestPath.instanceId) return fail(codecError(`object instance ${first.id} does not match ${requestPath.toString()}`));
        return decodeResources(first.children, requestPath, registry, out);
      }
      return decodeResources(tlvs, requestPath, registry, out);
    case 'resource':
      if (tlvs.length === 1 && (first?.kind === 'resourceValue' || first?.kind === 'multipleResource')) {
        if (first.id !== requestPath.resourceId) return fail(codecError(`resource ${first.id} does not match ${requestPath.toString()}`));
        return decodeResources(tlvs, requestPath.parent(), registry, out);
      }
      return decodeInstances(tlvs, requestPath, registry, out);
    case 'resourceInstance':
      if (tlvs.length !== 1 || first?.kind !== 'resourceInstance' || first.id !== requestPath.resourceInstanceId) {
        return fail(codecError(`expected one resource instance TLV for ${requestPath.toString()}`));
      }
      return decodeLeaf(first.value, requestPath, registry, out);
  }
}

/** Bytes of one value; integers use the fewest of 1/2/4/8 bytes (§7.4.3.1 data types). */
function encodeValue(entry: LwM2mEntry, registry: ObjectRegistry): Result<Buffer, CodecError> {
  const type = encodingType(entry, registry, FORMAT);
  if (!type.success) return type;
  const { value } = entry;
  if (typeof value === 'string') return ok(Buffer.from(value, 'utf8'));
  if (typeof value === 'boolean') return ok(Buffer.from([value ? 1 : 0]));
  if (value instanceof Uint8Array) return ok(copyBytes(value));
  if (isObjectLink(value)) {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt16BE(value.objectId, 0);
    bytes.writeUInt16BE(value.instanceId, 2);
    return ok(bytes);
  }
  if (type.data === 'float' && typeof value === 'number') {
    const fits32 = Math.fround(value) === value || Number.isNaN(value);
    const bytes = Buffer.alloc(fits32 ? 4 : 8);
    if (fits32) bytes.writeFloatBE(value, 0);
    else bytes.writeDoubleBE(value, 0);
    return ok(bytes);
  }
  if (value instanceof Date) {
    // Time is a signed integer of seconds since the epoch (§7.4.3.1).
    const seconds = secondsOf(value);
    if (seconds === undefined) return fail(codecError(`${entry.path.toString()}: invalid date`));
    return ok(encodeInteger(BigInt(seconds), false));
  }
  return ok(encodeInteger(BigInt(value), type.data === 'unsignedInteger'));
}

function encodeInteger(n: bigint, unsigned: boolean): Buffer {
  const size = unsigned
    ? n <= 0xffn ? 1 : n <= 0xffffn ? 2 : n <= 0xffffffffn ? 4 : 8
    : n >= -0x80n && n <= 0x7fn ? 1 : n >= -0x8000n && n <= 0x7fffn ? 2 : n >= -0x80000000n && n <= 0x7fffffffn ? 4 : 8;
  const bytes = Buffer.alloc(size);
  if (size === 8) {
    if (unsigned) bytes.writeBigUInt64BE(n, 0);
    else bytes.writeBigInt64BE(n, 0);
  } else if (unsigned) bytes.writeUIntBE(Number(n), 0, size);
  else bytes.writeIntBE(Number(n), 0, size);
  return bytes;
}

/** Resource TLV (value or multiple resource) for the entries of one resource. */
function encodeResource(resourceId: number, entries: readonly LwM2mEntry[], registry: ObjectRegistry): Result<Buffer, CodecError> {
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && first.path.level === 'resource') {
    const value = encodeValue(first, registry);
    return value.success ? writeTlv('resourceValue', resourceId, value.data) : value;
  }
  const children: Buffer[] = [];
  const seen = new Set<number>();
  for (const entry of entries) {
    const id = entry.path.resourceInstanceId;
    if (id === undefined || seen.has(id)) {
      return fail(codecError(`${entry.path.toString()} mixes single and multiple values or repeats an instance`));
    }
    seen.add(id);
    const value = encodeValue(entry, registry);
    if (!value.success) return value;
    const tlv = writeTlv('resourceInstance', id, value.data);
    if (!tlv.success) return tlv;
    children.push(tlv.data);
  }
  return writeTlv('multipleResource', resourceId, Buffer.concat(children));
}

/** Groups entries by key, preserving first-seen order. */
function groupBy(entries: readonly LwM2mEntry[], key: (entry: LwM2mEntry) => number): Map<number, LwM2mEntry[]> {
  const groups = new Map<number, LwM2mEntry[]>();
  for (const entry of entries) {
    const k = key(entry);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [entry]);
    else group.push(entry);
  }
  return groups;
}

function encodeResources(entries: readonly LwM2mEntry[], registry: ObjectRegistry): Result<Buffer, CodecError> {
  const parts: Buffer[] = [];
  for (const [resourceId, group] of groupBy(entries, (e) => e.path.resourceId ?? 0)) {
    const tlv = encodeResource(resourceId, group, registry);
    if (!tlv.success) return tlv;
    parts.push(tlv.data);
  }
  return ok(Buffer.concat(parts));
}

export const tlvCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError> {
    const tlvs = readTlvs(payload);
    if (!tlvs.success) return tlvs;
    const entries: LwM2mEntry[] = [];
    const decoded = decodeAt(tlvs.data, requestPath, registry, entries);
    return decoded.success ? ok(entries) : decoded;
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError> {
    if (requestPath.level === 'root') return fail(codecError('TLV cannot be encoded at the root path'));
    for (const entry of entries) {
      const level = entry.path.level;
      if ((level !== 'resource' && level !== 'resourceInstance') || !requestPath.isPrefixOf(entry.path)) {
        return fail(codecError(`${entry.path.toString()} is not a resource under ${requestPath.toString()}`));
      }
    }
    switch (requestPath.level) {
      case 'object': {
        const parts: Buffer[] = [];
        for (const [instanceId, group] of groupBy(entries, (e) => e.path.instanceId ?? 0)) {
          const content = encodeResources(group, registry);
          if (!content.success) return content;
          const tlv = writeTlv('objectInstance', instanceId, content.data);
          if (!tlv.success) return tlv;
          parts.push(tlv.data);
        }
        return ok(Buffer.concat(parts));
      }
      case 'instance':
      case 'resource':
        return encodeResources(entries, registry);
      case 'resourceInstance': {
        const [entry] = entries;
        if (entries.length !== 1 || entry === undefined) return fail(codecError(`expected one value for ${requestPath.toString()}`));
        const value = encodeValue(entry, registry);
        return value.success ? writeTlv('resourceInstance', requestPath.resourceInstanceId ?? 0, value.data) : value;
      }
    }
  },
};
