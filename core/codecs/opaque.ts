import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { Codec, LwM2mEntry } from './model.ts';
import { requireResourcePath, singleEntry } from './single.ts';
import { copyBytes } from './values.ts';

/** Opaque (content-format 42), LwM2M TS 1.1 §7.4.2: the raw bytes of one opaque resource. */

const FORMAT = ContentFormat.OPAQUE;

export const opaqueCodec: Codec = {
  format: FORMAT,

  decode(payload: Uint8Array, requestPath: LwM2mPath): Result<LwM2mEntry[], CodecError> {
    const checked = requireResourcePath(requestPath, FORMAT);
    if (!checked.success) return checked;
    return ok([{ path: requestPath, value: copyBytes(payload) }]);
  },

  encode(entries: readonly LwM2mEntry[], requestPath: LwM2mPath): Result<Buffer, CodecError> {
    const entry = singleEntry(entries, requestPath, FORMAT);
    if (!entry.success) return entry;
    const { value } = entry.data;
    if (!(value instanceof Uint8Array)) {
      return fail(new CodecError(FORMAT, `${requestPath.toString()}: opaque format carries bytes only`));
    }
    return ok(copyBytes(value));
  },
};
