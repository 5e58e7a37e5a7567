import { fail, ok, type Result } from '../result.ts';
import { CodecError } from '../lwm2m/errors.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { LwM2mEntry } from './model.ts';

/** Shared checks of the single-value formats (text, opaque, CBOR): LwM2M TS 1.1 §7.4.1-7.4.3. */

export function requireResourcePath(requestPath: LwM2mPath, format: number): Result<LwM2mPath, CodecError> {
  if (requestPath.level === 'resource' || requestPath.level === 'resourceInstance') return ok(requestPath);
  return fail(new CodecError(format, `format ${format} carries a single resource value, not ${requestPath.level} ${requestPath.toString()}`));
}

export function singleEntry(entries: readonly LwM2mEntry[], requestPath: LwM2mPath, format: number): Result<LwM2mEntry, CodecError> {
  const checked = requireResourcePath(requestPath, format);
  if (!checked.success) return checked;
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) {
    return fail(new CodecError(format, `format ${format} carries exactly one value, got ${entries.length}`));
  }
  if (!entry.path.equals(requestPath)) {
    return fail(new CodecError(format, `value path ${entry.path.toString()} is not the request path ${requestPath.toString()}`));
  }
  return ok(entry);
}
