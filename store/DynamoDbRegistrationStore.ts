import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import { DEVICES_BY_REGISTRATION_INDEX } from './schema.ts';

/** The device registry: one item per endpoint, the latest registration wins. */
export interface RegistrationStore {
  /** Writes a new registration; the operator's tags on the device (groups, attributes) are kept. */
  put(registration: DeviceRegistration): Promise<void>;
  get(endpoint: string): Promise<DeviceRegistration | undefined>;
  /**
   * The registration with this id (the `/rd/{id}` of an Update), from the index: in DynamoDB it
   * may lag a write by a moment, so writes that follow stay conditional on the id.
   */
  findByRegistrationId(registrationId: string): Promise<DeviceRegistration | undefined>;
  update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean>;
  /** Removes the registration only if it is still the one named (a newer one is kept). */
  remove(endpoint: string, registrationId: string): Promise<boolean>;
  list(): Promise<DeviceRegistration[]>;
}

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
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(registration: DeviceRegistration): Promise<void> {
    // A Register replaces the item, but the tags are the operator's: carried over, conditional on
    // their being unchanged since they were read, so a tag written in between is never lost.
    for (let attempt = 1; ; attempt++) {
      const current = await this.dynamo.send(new GetCommand({
        TableName: this.tableName,
        Key: { endpoint: registration.endpoint },
        ConsistentRead: true,
        ProjectionExpression: '#g, #a, tagRevision',
        ExpressionAttributeNames: { '#g': 'groups', '#a': 'attributes' },
      }));
      // A device the registry does not know yet starts with the tags given (if any).
      const item: Record<string, unknown> = { ...registration };
      if (current.Item !== undefined) {
        for (const tag of TAG_FIELDS) delete item[tag];
        Object.assign(item, current.Item);
      }
      const written = await whenConditionHolds(this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: item, ...tagsCondition(current.Item) })));
      if (written) return;
      if (attempt >= MAX_TAG_RACE_ATTEMPTS) throw new ConcurrentTagChangeError(`registration of ${registration.endpoint}: its tags kept changing over ${attempt} attempts`);
    }
  }

  async get(endpoint: string): Promise<DeviceRegistration | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { endpoint }, ConsistentRead: true }));
    return result.Item as DeviceRegistration | undefined;
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
