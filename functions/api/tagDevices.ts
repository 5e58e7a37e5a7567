/**
 * Use case: put devices into groups and give them attributes, or take them away, in bulk. Every
 * endpoint is checked first: a request naming a device the registry does not know changes nothing
 * and is refused naming the unknown endpoints.
 */
import { PARALLEL_WRITES, mapWithLimit } from '../../core/concurrency.ts';
import { TooManyTagsError, type TagChange } from '../../core/devices/deviceTags.ts';
import type { Stores } from '../../store/Stores.ts';
import { ApiError } from './http.ts';

export interface TaggedDevice {
  readonly endpoint: string;
  readonly groups: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

/** How many unknown endpoints a refusal lists by name. */
const NAMED_UNKNOWN = 20;

export async function changeDeviceTags(stores: Stores, endpoints: readonly string[], change: TagChange): Promise<TaggedDevice[]> {
  const unique = [...new Set(endpoints)];
  const known = await mapWithLimit(unique, PARALLEL_WRITES, async (endpoint) => (await stores.registrations.get(endpoint)) !== undefined);
  refuseUnknown(unique.filter((_, i) => known[i] !== true));
  try {
    const changed = await mapWithLimit(unique, PARALLEL_WRITES, async (endpoint) => ({ endpoint, tags: await stores.deviceTags.change(endpoint, change) }));
    // A device de-registered between the check and its write: named like an unknown one.
    refuseUnknown(changed.filter(({ tags }) => tags === undefined).map(({ endpoint }) => endpoint));
    return changed.flatMap(({ endpoint, tags }) => (tags === undefined ? [] : [{ endpoint, ...tags }]));
  } catch (error) {
    if (error instanceof TooManyTagsError) throw new ApiError(400, 'TOO_MANY_TAGS', error.message, change.addGroups === undefined ? 'attributes' : 'groups');
    throw error;
  }
}

function refuseUnknown(unknown: readonly string[]): void {
  if (unknown.length === 0) return;
  const named = unknown.slice(0, NAMED_UNKNOWN).join(', ');
  const more = unknown.length > NAMED_UNKNOWN ? ` and ${unknown.length - NAMED_UNKNOWN} more` : '';
  throw new ApiError(400, 'UNKNOWN_DEVICES', `endpoints: ${unknown.length} unknown device(s): ${named}${more}`, 'endpoints');
}
