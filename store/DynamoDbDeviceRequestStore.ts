import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeviceRequestStatus, type DeviceRequest, type DeviceRequestResult } from '../core/devices/DeviceRequest.ts';
import { REQUESTS_BY_ENDPOINT_INDEX, REQUESTS_BY_OWNER_INDEX } from './schema.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import type { DeviceRequestStore } from '../core/ports/DeviceRequestStore.ts';
import { expiresAtSeconds, withoutTtl, DEFAULT_RETENTION_DAYS } from './retention.ts';

export class DynamoDbDeviceRequestStore implements DeviceRequestStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Requests expire (DynamoDB TTL) this many days after they were created, answered or not. */
    private readonly retentionDays: number = DEFAULT_RETENTION_DAYS,
  ) {}

  async create(request: DeviceRequest): Promise<void> {
    const item = { ...request, ttl: expiresAtSeconds(request.createdAt, this.retentionDays) };
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(requestId)' }));
  }

  async get(requestId: string): Promise<DeviceRequest | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { requestId }, ConsistentRead: true }));
    return result.Item === undefined ? undefined : withoutTtl<DeviceRequest>(result.Item);
  }

  listPendingForOwner(ownerTask: string): Promise<DeviceRequest[]> {
    return this.query({
      IndexName: REQUESTS_BY_OWNER_INDEX,
      KeyConditionExpression: 'ownerTask = :o AND #status = :s',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':o': ownerTask, ':s': DeviceRequestStatus.Pending },
    });
  }

  listForEndpoint(endpoint: string): Promise<DeviceRequest[]> {
    return this.query({ IndexName: REQUESTS_BY_ENDPOINT_INDEX, KeyConditionExpression: 'endpoint = :e', ExpressionAttributeValues: { ':e': endpoint } });
  }

  async complete(requestId: string, status: DeviceRequestStatus, result: DeviceRequestResult, at: number): Promise<boolean> {
    return this.conditionalUpdate(requestId, 'SET #status = :status, #result = :result, completedAt = :at', {
      ':status': status,
      ':result': result,
      ':at': at,
    }, { '#result': 'result' });
  }

  claim(requestId: string, ownerTask: string): Promise<boolean> {
    return this.conditionalUpdate(requestId, 'SET ownerTask = :owner', { ':owner': ownerTask });
  }

  recordAttempt(requestId: string, previous: number): Promise<boolean> {
    const attempts = previous === 0 ? '(attribute_not_exists(attempts) OR attempts = :previous)' : 'attempts = :previous';
    return this.conditionalUpdate(requestId, 'SET attempts = :next', { ':previous': previous, ':next': previous + 1 }, {}, attempts);
  }

  private async conditionalUpdate(requestId: string, expression: string, values: Record<string, unknown>, names: Record<string, string> = {}, extraCondition?: string): Promise<boolean> {
    return whenConditionHolds(this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { requestId },
        UpdateExpression: expression,
        ConditionExpression: extraCondition === undefined ? '#status = :pending' : `#status = :pending AND ${extraCondition}`,
        ExpressionAttributeNames: { '#status': 'status', ...names },
        ExpressionAttributeValues: { ...values, ':pending': DeviceRequestStatus.Pending },
      }),
    ));
  }

  private async query(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>): Promise<DeviceRequest[]> {
    const items: DeviceRequest[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []).map((item) => withoutTtl<DeviceRequest>(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}
