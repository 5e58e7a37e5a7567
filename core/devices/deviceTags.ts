/**
 * Operator tags on a device: the groups it belongs to and its attributes (`region: eu-west`).
 * They are kept on the device's registry item, survive re-registration, and are what campaign
 * targets select by (`target.groups`, `target.attributes`: core/campaign/targets.ts).
 */

/** Limits of what one device carries (DynamoDB items stay far below 400 KB). */
export const TAG_LIMITS = {
  groupsPerDevice: 50,
  attributesPerDevice: 50,
  nameLength: 64,
  valueLength: 256,
  endpointsPerRequest: 1000,
} as const;

/** Group and attribute names: letters, digits, `.`, `_`, `-`, `:` (they appear in URLs and CLI flags). */
export const TAG_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export interface DeviceTags {
  readonly groups: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

/** What one tag or untag request changes on each device it names. */
export interface TagChange {
  readonly addGroups?: readonly string[];
  readonly removeGroups?: readonly string[];
  readonly setAttributes?: Readonly<Record<string, string>>;
  readonly removeAttributes?: readonly string[];
}

export class TooManyTagsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TooManyTagsError';
  }
}

/** The tags after the change: groups sorted and unique; a removal of what is absent changes nothing. */
export function applyTagChange(current: DeviceTags, change: TagChange): DeviceTags {
  const removed = new Set(change.removeGroups ?? []);
  const groups = [...new Set([...current.groups, ...(change.addGroups ?? [])])].filter((group) => !removed.has(group)).sort();
  const attributes: Record<string, string> = { ...current.attributes, ...change.setAttributes };
  for (const key of change.removeAttributes ?? []) delete attributes[key];
  if (groups.length > TAG_LIMITS.groupsPerDevice) throw new TooManyTagsError(`a device is in at most ${TAG_LIMITS.groupsPerDevice} groups`);
  if (Object.keys(attributes).length > TAG_LIMITS.attributesPerDevice) throw new TooManyTagsError(`a device has at most ${TAG_LIMITS.attributesPerDevice} attributes`);
  return { groups, attributes };
}

/** A device's tags as stored (absent fields are empty). */
export function tagsOf(device: { readonly groups?: readonly string[]; readonly attributes?: Readonly<Record<string, string>> }): DeviceTags {
  return { groups: device.groups ?? [], attributes: device.attributes ?? {} };
}
