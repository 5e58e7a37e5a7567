import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';

/**
 * The operator's tags of a device (groups, attributes, and the revision every change bumps) are an
 * item of their own in the registry table, beside the device's item: the edge writes a device's
 * item whole (store/RegistryWriteBehind.ts), and a Put must never overwrite a tag written at the
 * same moment. The tag item's key cannot be an endpoint: endpoint names are printable ASCII
 * without spaces (LwM2M's `ep`, core/lwm2m/registrationRequest.ts), and the key has a space.
 * Tags written on device items before tags had their own items are still read there, and move to
 * a tag item the first time the device is read (store/DynamoDbRegistrationStore.ts#get).
 */
export const TAG_ITEM_PREFIX = '#tags ';

/** The fields of a registry item that are the operator's, not the device's. */
export const TAG_FIELDS = ['groups', 'attributes', 'tagRevision'] as const;

type Item = Record<string, unknown>;

export function tagItemKey(endpoint: string): string {
  return `${TAG_ITEM_PREFIX}${endpoint}`;
}

export function isTagItem(item: Item): boolean {
  return typeof item['endpoint'] === 'string' && item['endpoint'].startsWith(TAG_ITEM_PREFIX);
}

/** The endpoint a tag item belongs to. */
export function endpointOfTagItem(item: Item): string {
  return String(item['endpoint']).slice(TAG_ITEM_PREFIX.length);
}

/** Tags kept on the device item itself (written before tags had items of their own). */
export function hasLegacyTags(device: Item): boolean {
  return TAG_FIELDS.some((field) => device[field] !== undefined);
}

/** The device's own fields, without any tag field. */
export function withoutTags<T extends Partial<DeviceRegistration>>(registration: T): T {
  const own = { ...registration };
  for (const field of TAG_FIELDS) delete own[field];
  return own;
}

/** The device with its tags: from its tag item, else (written before tag items) from its own item. */
export function withTags(device: Item, tagItem: Item | undefined): DeviceRegistration {
  if (tagItem === undefined) return device as unknown as DeviceRegistration;
  const merged: Item = withoutTags(device as Partial<DeviceRegistration>);
  for (const field of TAG_FIELDS) if (tagItem[field] !== undefined) merged[field] = tagItem[field];
  return merged as unknown as DeviceRegistration;
}

/** The tag fields of an item (a tag item, or a device item written before tag items). */
export function tagFieldsOf(item: Item): Item {
  return Object.fromEntries(TAG_FIELDS.filter((field) => item[field] !== undefined).map((field) => [field, item[field]]));
}
