import { fail, ok, type Result } from '../result.ts';
import { ContentFormat, normalizeContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import { defaultObjectRegistry, type ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import { cborCodec } from './cbor.ts';
import type { Codec, LwM2mEntry, ResourceValue } from './model.ts';
import { lwm2mCborCodec } from './lwm2mCbor.ts';
import { lwm2mJsonCodec } from './lwm2mJson.ts';
import { opaqueCodec } from './opaque.ts';
import { senmlCborCodec } from './senmlCbor.ts';
import { senmlJsonCodec } from './senmlJson.ts';
import { textCodec } from './text.ts';
import { tlvCodec } from './tlv.ts';

export type { Codec, LwM2mEntry, ObjectLink, ResourceValue } from './model.ts';
export { isObjectLink } from './model.ts';

/** The one codec registry: content format -> codec (LwM2M TS 1.1 §7.4). */
export const codecRegistry: ReadonlyMap<ContentFormat, Codec> = new Map<ContentFormat, Codec>(
  [textCodec, opaqueCodec, cborCodec, senmlJsonCodec, senmlCborCodec, tlvCodec, lwm2mJsonCodec, lwm2mCborCodec].map((codec) => [codec.format, codec]),
);

function codecFor(format: number): Result<Codec, CodecError> {
  const normalized = normalizeContentFormat(format);
  const codec = normalized === undefined ? undefined : codecRegistry.get(normalized);
  return codec === undefined ? fail(new CodecError(format, `unsupported content format ${format}`)) : ok(codec);
}

// Codecs return errors rather than throw; this guard keeps a codec bug from escaping as a throw
// into the transport.
function guarded<T>(format: number, run: () => Result<T, CodecError>): Result<T, CodecError> {
  try {
    return run();
  } catch (cause) {
    return fail(new CodecError(format, `codec for format ${format} failed unexpectedly`, { cause }));
  }
}

/** Decodes a payload of `format` (legacy 1541/1542/1543 accepted) read at `requestPath`. */
export function decodeContent(
  format: number,
  payload: Uint8Array,
  requestPath: LwM2mPath,
  registry: ObjectRegistry = defaultObjectRegistry,
): Result<LwM2mEntry[], CodecError> {
  const codec = codecFor(format);
  if (!codec.success) return codec;
  return guarded(format, () => codec.data.decode(payload, requestPath, registry));
}

/** Encodes entries under `requestPath` in `format`. */
export function encodeContent(
  format: number,
  entries: readonly LwM2mEntry[],
  requestPath: LwM2mPath,
  registry: ObjectRegistry = defaultObjectRegistry,
): Result<Buffer, CodecError> {
  const codec = codecFor(format);
  if (!codec.success) return codec;
  return guarded(format, () => codec.data.encode(entries, requestPath, registry));
}

/** Values keyed by path string (`/3/0/0`), the last one winning for repeated paths. */
export function entriesToRecord(entries: readonly LwM2mEntry[]): Record<string, ResourceValue> {
  return Object.fromEntries(entries.map((entry) => [entry.path.toString(), entry.value]));
}
