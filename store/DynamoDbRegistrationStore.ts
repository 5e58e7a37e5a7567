import { DeleteCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import { batchedReads, type BatchedReads } from './BatchedReads.ts';
import { batchedWrites, type BatchedWrites } from './BatchedWrites.ts';
import { DEVICES_BY_REGISTRATION_INDEX } from './schema.ts';
import type { RegistrationStore } from '../core/ports/RegistrationStore.ts';

/**
 * Reads by endpoint and whole-item writes go out batched (BatchGetItem, BatchWriteItem) with the
 * other reads and writes of the same turn: a burst of Registers costs a few calls, not two per
 * device. Each caller still waits for its own item.
 */
export class DynamoDbRegistrationStore implements RegistrationStore {
  private readonly reads: BatchedReads;
  private readonly writes: BatchedWrites;

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.reads = batchedReads(dynamo);
    this.writes = batchedWrites(dynamo);
  }

  async put(registration: DeviceRegistration): Promise<void> {
    await this.writes.put(this.tableName, 'endpoint', { ...registration });
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

