import { DeleteCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import { batchedReads, type BatchedReads } from './BatchedReads.ts';
import { DEVICES_BY_REGISTRATION_INDEX } from './schema.ts';
import type { RegistrationStore } from '../core/ports/RegistrationStore.ts';

/**
 * Reads by endpoint go out batched (BatchGetItem) with the other reads of the same turn: a burst
 * of Registers costs a few read calls, not one per device. Each caller still waits for its own
 * item. A Register is one UpdateItem (`put`), which leaves the operator's tags alone.
 */

/**
 * The device's optional fields: a Register without one removes what an earlier registration left.
 * A new optional field of DeviceRegistration belongs here.
 */
const DEVICE_OPTIONAL_FIELDS = ['negotiatedFormat', 'manufacturer', 'model', 'firmwareVersion', 'timeZone', 'deviceInfoReadAt', 'pskIdentity', 'addressTakenAt'] as const satisfies readonly (keyof DeviceRegistration)[];

/** The fields of a registry item that are the operator's, not the device's. */
const TAG_FIELDS = ['groups', 'attributes', 'tagRevision'] as const;

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

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.reads = batchedReads(dynamo);
  }

  async put(registration: DeviceRegistration): Promise<void> {
    // One UpdateItem, no read: the device's own fields are replaced (those it no longer has are
    // removed), the operator's tags (groups, attributes, tagRevision) are left as they are, so a
    // tag written at the same moment is never lost. A device new to the registry starts with the
    // tags given, if any.
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    let n = 0;
    for (const [field, value] of Object.entries(registration)) {
      if (field === 'endpoint' || value === undefined) continue;
      n += 1;
      names[`#f${n}`] = field;
      values[`:v${n}`] = value;
      sets.push((TAG_FIELDS as readonly string[]).includes(field) ? `#f${n} = if_not_exists(#f${n}, :v${n})` : `#f${n} = :v${n}`);
    }
    const removed = DEVICE_OPTIONAL_FIELDS.filter((field) => registration[field] === undefined);
    removed.forEach((field, index) => (names[`#r${index}`] = field));
    const remove = removed.length === 0 ? '' : ` REMOVE ${removed.map((_, index) => `#r${index}`).join(', ')}`;
    await this.dynamo.send(new UpdateCommand({ TableName: this.tableName, Key: { endpoint: registration.endpoint }, UpdateExpression: `SET ${sets.join(', ')}${remove}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
  }

  async get(endpoint: string): Promise<DeviceRegistration | undefined> {
    return (await this.reads.get(this.tableName, 'endpoint', endpoint)) as DeviceRegistration | undefined;
  }

  async findByRegistrationId(registrationId: string): Promise<DeviceRegistration | undefined> {
    const page = await this.dynamo.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: DEVICES_BY_REGISTRATION_INDEX,
      KeyConditionExpression: 'registrationId = :rid',
      ExpressionAttributeValues: { ':rid': registrationId },
    }));
    return page.Items?.[0] as DeviceRegistration | undefined;
  }

  async update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean> {
    const entries = Object.entries(changes).filter(([key, value]) => value !== undefined && key !== 'endpoint');
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
    const items: DeviceRegistration[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as DeviceRegistration[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

