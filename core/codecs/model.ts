import type { Result } from '../result.ts';
import type { ContentFormat } from '../lwm2m/ContentFormat.ts';
import type { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';

/** An Object Link value (`objlnk`): `objectId:instanceId`, each 0..65535. */
export interface ObjectLink {
  readonly objectId: number;
  readonly instanceId: number;
}

/**
 * A single resource value. Integers beyond Number.MAX_SAFE_INTEGER are bigint; `time` is a Date;
 * `opaque` is bytes (Buffer on decode).
 */
export type ResourceValue = string | number | bigint | boolean | Uint8Array | Date | ObjectLink;

/** One value at a resource or resource-instance path. */
export interface LwM2mEntry {
  readonly path: LwM2mPath;
  readonly value: ResourceValue;
  /**
   * Set by a decoder when this value could not be decoded (e.g. a string that is not valid
   * UTF-8): why, with `value` holding the raw bytes. The other values of the reply stand.
   */
  readonly undecodable?: string;
}

/** One content format; decoders never throw and return a CodecError on malformed input. */
export interface Codec {
  readonly format: ContentFormat;
  decode(payload: Uint8Array, requestPath: LwM2mPath, registry: ObjectRegistry): Result<LwM2mEntry[], CodecError>;
  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, registry: ObjectRegistry): Result<Buffer, CodecError>;
}

export function isObjectLink(value: ResourceValue): value is ObjectLink {
  return typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date);
}
