import { DeleteCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import { batchedReads, type BatchedReads } from './BatchedReads.ts';
import { DEVICES_BY_REGISTRATION_INDEX } from './schema.ts';
import type { RegistrationStore } from '../core/ports/RegistrationStore.ts';
import { RegistryWriteBehind, type WriteBehindOptions } from './RegistryWriteBehind.ts';
import { endpointOfTagItem, hasLegacyTags, isTagItem, tagFieldsOf, tagItemKey, withoutTags, withTags } from './deviceTagItems.ts';

/**
 * The device registry: one item per device, the operator's tags on an item of their own beside it
 * (store/deviceTagItems.ts). A Register is held for a moment and written with the others of the
 * moment (`register`, store/RegistryWriteBehind.ts); reads by endpoint go out batched
 * (BatchGetItem) with the other reads of the same turn, the device's item and its tag item in the
 * same call. Each caller still waits for its own item.
 */

/**
 * The device's optional fields: a `put` without one removes what an earlier registration left.
 * A new optional field of DeviceRegistration belongs here.
 */
const DEVICE_OPTIONAL_FIELDS = ['negotiatedFormat', 'manufacturer', 'model', 'firmwareVersion', 'timeZone', 'deviceInfoReadAt', 'pskIdentity', 'addressTakenAt'] as const satisfies readonly (keyof DeviceRegistration)[];

/** Attempts of a write that races tag changes of the same device before it gives up. */
export const MAX_TAG_RACE_ATTEMPTS = 20;

/** The device's tags kept changing under a write (MAX_TAG_RACE_ATTEMPTS times in a row). */
export class ConcurrentTagChangeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConcurrentTagChangeError';
  }
}

/**
 * A condition that holds while the device's tags are as `item` read them: every tag change bumps
 * `tagRevision` (a number compares reliably in conditions; lists and maps do not in every emulator).
 */
export function tagsCondition(item: Record<string, unknown> | undefined): { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
  const revision = item?.['tagRevision'];
  return revision === undefined
    ? { ConditionExpression: 'attribute_not_exists(#rev)', ExpressionAttributeNames: { '#rev': 'tagRevision' } }
    : { ConditionExpression: '#rev = :rev', ExpressionAttributeNames: { '#rev': 'tagRevision' }, ExpressionAttributeValues: { ':rev': revision } };
}

export class DynamoDbRegistrationStore implements RegistrationStore {
  private readonly reads: BatchedReads;
  private readonly held: RegistryWriteBehind;

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    writeBehind: WriteBehindOptions = {},
  ) {
    this.reads = batchedReads(dynamo);
    this.held = new RegistryWriteBehind(dynamo, tableName, writeBehind);
  }

  register(registration: DeviceRegistration): Promise<void> {
    return this.held.hold(withoutTags(registration));
  }

  flush(): Promise<void> {
    return this.held.flush();
  }

  async put(registration: DeviceRegistration): Promise<void> {
    // One UpdateItem, no read: the device's own fields are replaced (those it no longer has are
    // removed). Tags given go to the device's tag item, only if it has none yet.
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    let n = 0;
    for (const [field, value] of Object.entries(withoutTags(registration))) {
      if (field === 'endpoint' || value === undefined) continue;
      n += 1;
      names[`#f${n}`] = field;
      values[`:v${n}`] = value;
      sets.push(`#f${n} = :v${n}`);
    }
    const removed = DEVICE_OPTIONAL_FIELDS.filter((field) => registration[field] === undefined);
    removed.forEach((field, index) => (names[`#r${index}`] = field));
    const remove = removed.length === 0 ? '' : ` REMOVE ${removed.map((_, index) => `#r${index}`).join(', ')}`;
    await this.dynamo.send(new UpdateCommand({ TableName: this.tableName, Key: { endpoint: registration.endpoint }, UpdateExpression: `SET ${sets.join(', ')}${remove}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
    const tags = tagFieldsOf(registration as unknown as Record<string, unknown>);
    if (Object.keys(tags).length > 0) await this.putTagItemIfAbsent(registration.endpoint, tags);
  }

  async get(endpoint: string): Promise<DeviceRegistration | undefined> {
    const [own, tagItem] = await Promise.all([this.readOwn(endpoint), this.reads.get(this.tableName, 'endpoint', tagItemKey(endpoint))]);
    return own === undefined ? undefined : withTags(own, tagItem);
  }

  async getWithoutTags(endpoint: string): Promise<DeviceRegistration | undefined> {
    const own = await this.readOwn(endpoint);
    return own === undefined ? undefined : withoutTags(own as unknown as DeviceRegistration);
  }

  /** The device's item: held for its batch, else as stored (tags still on it moved to a tag item first). */
  private async readOwn(endpoint: string): Promise<Record<string, unknown> | undefined> {
    const held = this.held.get(endpoint);
    if (held !== undefined) return held as unknown as Record<string, unknown>;
    const own = await this.reads.get(this.tableName, 'endpoint', endpoint);
    // Tags written on the device item before tag items: moved to one before any Put can drop them.
    if (own !== undefined && hasLegacyTags(own)) await this.putTagItemIfAbsent(endpoint, tagFieldsOf(own));
    return own;
  }

  async findByRegistrationId(registrationId: string): Promise<DeviceRegistration | undefined> {
    const held = this.held.findByRegistrationId(registrationId);
    if (held !== undefined) return held;
    // The index holds keys only (store/schema.ts): it names the endpoint, the table has the device.
    const page = await this.dynamo.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: DEVICES_BY_REGISTRATION_INDEX,
      KeyConditionExpression: 'registrationId = :rid',
      ExpressionAttributeValues: { ':rid': registrationId },
    }));
    const endpoint = page.Items?.[0]?.['endpoint'];
    if (typeof endpoint !== 'string') return undefined;
    const device = await this.getWithoutTags(endpoint);
    return device?.registrationId === registrationId ? device : undefined;
  }

  async update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean> {
    // Still held: the changes go out with the registration.
    if (this.held.change(endpoint, registrationId, withoutTags(changes))) return true;
    const entries = Object.entries(withoutTags(changes)).filter(([key, value]) => value !== undefined && key !== 'endpoint');
    if (entries.length === 0) return true;
    const names: Record<string, string> = { '#rid': 'registrationId' };
    const values: Record<string, unknown> = { ':rid': registrationId };
    const sets = entries.map(([key, value], i) => {
      names[`#a${i}`] = key;
      values[`:v${i}`] = value;
      return `#a${i} = :v${i}`;
    });
    return whenConditionHolds(this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { endpoint },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#rid = :rid',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ));
  }

  async remove(endpoint: string, registrationId: string): Promise<boolean> {
    await this.held.writeSettled(endpoint);
    // Never written yet: what the store holds is an older registration of the same device, gone with it.
    if (this.held.drop(endpoint, registrationId)) {
      await this.dynamo.send(new DeleteCommand({ TableName: this.tableName, Key: { endpoint } }));
      return true;
    }
    return whenConditionHolds(this.dynamo.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { endpoint },
        ConditionExpression: 'registrationId = :rid',
        ExpressionAttributeValues: { ':rid': registrationId },
      }),
    ));
  }

  async list(): Promise<DeviceRegistration[]> {
    const devices: Record<string, unknown>[] = [];
    const tagItems = new Map<string, Record<string, unknown>>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        if (isTagItem(item)) tagItems.set(endpointOfTagItem(item), item);
        else devices.push(item);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    // What this process holds for its batch is newer than what the scan found.
    const byEndpoint = new Map(devices.map((device) => [String(device['endpoint']), device]));
    for (const held of this.held.all()) byEndpoint.set(held.endpoint, held as unknown as Record<string, unknown>);
    // Tag items of devices that de-registered stay for when they come back; only devices are listed.
    return [...byEndpoint.values()].map((device) => withTags(device, tagItems.get(String(device['endpoint']))));
  }

  private async putTagItemIfAbsent(endpoint: string, tags: Record<string, unknown>): Promise<void> {
    await whenConditionHolds(this.dynamo.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...tags, endpoint: tagItemKey(endpoint) },
      ConditionExpression: 'attribute_not_exists(endpoint)',
    })));
  }
}
