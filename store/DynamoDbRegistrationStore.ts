import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';

/** The device registry: one item per endpoint, the latest registration wins. */
export interface RegistrationStore {
  put(registration: DeviceRegistration): Promise<void>;
  get(endpoint: string): Promise<DeviceRegistration | undefined>;
  /** Records traffic from the device: owner task, address and last-seen time. */
  touch(endpoint: string, seen: { ownerTask: string; address: string; port: number; at: number }): Promise<void>;
  update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean>;
  /** Removes the registration only if it is still the one named (a newer one is kept). */
  remove(endpoint: string, registrationId: string): Promise<boolean>;
  list(): Promise<DeviceRegistration[]>;
}

export class DynamoDbRegistrationStore implements RegistrationStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(registration: DeviceRegistration): Promise<void> {
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: { ...registration } }));
  }

  async get(endpoint: string): Promise<DeviceRegistration | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { endpoint }, ConsistentRead: true }));
    return result.Item as DeviceRegistration | undefined;
  }

  async touch(endpoint: string, seen: { ownerTask: string; address: string; port: number; at: number }): Promise<void> {
    await this.dynamo
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { endpoint },
          UpdateExpression: 'SET ownerTask = :owner, address = :address, port = :port, lastSeen = :at',
          ConditionExpression: 'attribute_exists(endpoint)',
          ExpressionAttributeValues: { ':owner': seen.ownerTask, ':address': seen.address, ':port': seen.port, ':at': seen.at },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionalCheckFailure(error)) throw error;
      });
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
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { endpoint },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#rid = :rid',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async remove(endpoint: string, registrationId: string): Promise<boolean> {
    try {
      await this.dynamo.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { endpoint },
          ConditionExpression: 'registrationId = :rid',
          ExpressionAttributeValues: { ':rid': registrationId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
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

export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
