import type { LwM2mEntry, ResourceValue } from '../../../core/codecs/model.ts';
import { LwM2mPath } from '../../../core/lwm2m/LwM2mPath.ts';

/** Parses a path that the test knows to be valid. */
export function path(text: string): LwM2mPath {
  if (text === '/') return LwM2mPath.root();
  const result = LwM2mPath.parse(text);
  if (!result.success) throw result.error;
  return result.data;
}

export function entry(text: string, value: ResourceValue): LwM2mEntry {
  return { path: path(text), value };
}
