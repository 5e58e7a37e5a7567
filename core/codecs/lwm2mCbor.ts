import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import { LwM2mPath, MAX_ID } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import { decodeCbor } from './cborWire.ts';
import { CborMajor, CborWriter } from './cborWriter.ts';
import { isObjectLink, type Codec, type LwM2mEntry, type ResourceValue } from './model.ts';
import { coerceValue, encodingType, formatObjectLink, modelType, secondsOf, type RawValue } from './values.ts';

/**
 * LwM2M CBOR (content-format 11544), LwM2M TS 1.2 §7.4.6: nested CBOR maps keyed by path
 * components from the object id down, where a key may also be an array of ids standing for
 * several levels at once, e.g. `{[3, 0]: {0: "ACME", 6: {0: 1, 1: 5}}}` or, at the root,
 * `{3: {0: {9: 87}}, 5: {0: {3: 0}}}`. Values are CBOR items as in the CBOR format (§7.4.5):
 * object links as text "3:0", time as integer seconds (a tag 0/1 date accepted on decode).
 * Encoding writes the request path as one array key (a plain id for an object path), then one
 * level per map, keys ascending, definite lengths: stable bytes for golden fixtures.
 */

const FORMAT = ContentFormat.LWM2M_CBOR;
const MAX_DEPTH = 4;
const codecError = (message: string): CodecError => new CodecError(FORMAT, message);

interface TrieNode {
  entry?: LwM2mEntry;
  readonly children: Map<number, TrieNode>;
}

function ids(path: LwM2mPath): number[] {
  return [path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId].filter((id): id is number => id !== undefined);
}

function writeValue(writer: CborWriter, entry: LwM2mEntry, registry: ObjectRegistry): Result<void, CodecError> {
  const type = encodingType(entry, registry, FORMAT);
  if (!type.success) return type;
  const { value } = entry;
  if (type.data === 'float' && (typeof value === 'number' || typeof value === 'bigint')) writer.float(Number(value));
  else if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) writer.float(value);
    else writer.integer(value);
  } else if (typeof value === 'string') writer.text(value);
  else if (typeof value === 'boolean') writer.boolean(value);
  else if (value instanceof Uint8Array) writer.bytes(value);
  else if (value instanceof Date) {
    const seconds = secondsOf(value);
    if (seconds === undefined) return fail(codecError(`${entry.path.toString()}: invalid time`));
    writer.integer(seconds);
  } else if (isObjectLink(value)) writer.text(formatObjectLink(value));
  return ok(undefined);
}

function writeNode(writer: CborWriter, node: TrieNode, registry: ObjectRegistry): Result<void, CodecError> {
  if (node.entry !== undefined) return writeValue(writer, node.entry, registry);
  writer.head(CborMajor.map, node.children.size);
  for (const id of [...node.children.keys()].sort((a, b) => a - b)) {
    writer.integer(id);
    const child = node.children.get(id);
    if (child === undefined) continue;
    const written = writeNode(writer, child, registry);
    if (!written.success) return written;
  }
  return ok(undefined);
}

function buildTrie(entries: readonly LwM2mEntry[], requestPath: LwM2mPath): Result<TrieNode, CodecError> {
  const root: TrieNode = { children: new Map() };
  const skip = requestPath.depth;
  for (const entry of entries) {
    const level = entry.path.level;
    if ((level !== 'resource' && level !== 'resourceInstance') || !requestPath.isPrefixOf(entry.path)) {
      return fail(codecError(`${entry.path.toString()} is not a resource under ${requestPath.toString()}`));
    }
    let node = root;
    for (const id of ids(entry.path).slice(skip)) {
      if (node.entry !== undefined) return fail(codecError(`${entry.path.toString()} lies under a single value`));
      let child = node.children.get(id);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(id, child);
      }
      node = child;
    }
    if (node.entry !== undefined || node.children.size > 0) return fail(codecError(`${entry.path.toString()} is given twice or mixes single and multiple values`));
    node.entry = entry;
  }
  return ok(root);
}

function toRaw(item: unknown): RawValue | Date | undefined {
  if (typeof item === 'number' || typeof item === 'bigint' || typeof item === 'string' || typeof item === 'boolean') return item;
  if (item instanceof Uint8Array || item instanceof Date) return item;
  return undefined;
}

/** The path ids a map key stands for: one id, or a non-empty array of ids. */
function keyIds(key: unknown): number[] | undefined {
  const isId = (k: unknown): k is number => typeof k === 'number' && Number.isInteger(k) && k >= 0 && k <= MAX_ID;
  if (isId(key)) return [key];
  if (Array.isArray(key) && key.length > 0 && key.length <= MAX_DEPTH && key.every(isId)) return key;
  return undefined;
}

function leafValue(raw: RawValue | Date, path: LwM2mPath, registry: ObjectRegistry): Result<ResourceValue, CodecError> {
  const type = modelType(path, registry);
  if (raw instanceof Date) {
    return (type === 'time' || type === undefined) && !Number.isNaN(raw.getTime())
      ? ok(raw)
      : fail(codecError(`${path.toString()} is ${type ?? 'unknown'}, got a CBOR date`));
  }
  return coerceValue(raw, type, path, FORMAT);
}

function walk(map: Map<unknown, unknown>, prefix: readonly number[], requestPath: LwM2mPath, registry: ObjectRegistry, out: LwM2mEntry[]): Result<void, CodecError> {
  for (const [key, item] of map) {
    const keyPath = keyIds(key);
    if (keyPath === undefined) return fail(codecError(`map key ${String(key).slice(0, 40)} is not a path id or an array of path ids`));
    const pathIds = [...prefix, ...keyPath];
    if (pathIds.length > MAX_DEPTH) return fail(codecError(`path /${pathIds.join('/')} is deeper than ${MAX_DEPTH} levels`));
    if (item instanceof Map) {
      const nested = walk(item as Map<unknown, unknown>, pathIds, requestPath, registry, out);
      if (!nested.success) return nested;
      continue;
    }
    const path = LwM2mPath.of(pathIds[0] ?? 0, pathIds[1], pathIds[2], pathIds[3]);
    if (path.level !== 'resource' && path.level !== 'resourceInstance') return fail(codecError(`${path.toString()} holds a value but is not a resource`));
    if (!requestPath.isPrefixOf(path)) return fail(codecError(`${path.toString()} is outside ${requestPath.toString()}`));
    const raw = toRaw(item);
    if (raw === undefined) return fail(codecError(`${path.toString()}: CBOR item is not a resource value`));
    const value = leafValue(raw, path, registry);
    if (!value.success) return value;
    out.push({ path, value: value.data });
  }
  return ok(undefined);
}

export const lwm2mCborCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError> {
    const item = decodeCbor(payload, FORMAT);
    if (!item.success) return item;
    if (!(item.data instanceof Map)) return fail(codecError('LwM2M CBOR payload must be a CBOR map'));
    const entries: LwM2mEntry[] = [];
    const walked = walk(item.data as Map<unknown, unknown>, [], requestPath, registry, entries);
    return walked.success ? ok(entries) : walked;
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError> {
    const trie = buildTrie(entries, requestPath);
    if (!trie.success) return trie;
    const writer = new CborWriter();
    if (requestPath.level === 'root') {
      const written = writeNode(writer, trie.data, registry);
      return written.success ? ok(writer.toBuffer()) : written;
    }
    const prefix = ids(requestPath);
    writer.head(CborMajor.map, 1);
    if (prefix.length === 1) writer.integer(prefix[0] ?? 0);
    else {
      writer.head(CborMajor.array, prefix.length);
      for (const id of prefix) writer.integer(id);
    }
    const written = writeNode(writer, trie.data, registry);
    return written.success ? ok(writer.toBuffer()) : written;
  },
};
