import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TelemetrySample } from '../core/devices/Telemetry.ts';
import type { TelemetryStore } from '../core/ports/TelemetryStore.ts';
import { expiresAtSeconds, withoutTtl, DEFAULT_RETENTION_DAYS } from './retention.ts';

/** DynamoDB's BatchWriteItem limit. */
const BATCH_SIZE = 25;
/** Unprocessed items (throttling) are retried with backoff this many times, then it fails. */
const MAX_ATTEMPTS = 5;

export class TelemetryWriteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TelemetryWriteError';
  }
}

export class DynamoDbTelemetryStore implements TelemetryStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Samples expire (DynamoDB TTL) this many days after they were received. */
    private readonly retentionDays: number = DEFAULT_RETENTION_DAYS,
  ) {}

  async append(samples: readonly TelemetrySample[]): Promise<void> {
    // One item per key: DynamoDB refuses a batch that names the same key twice.
    const unique = [...new Map(samples.map((s) => [`${s.endpoint}\u0000${s.sampleKey}`, s])).values()];
    for (let i = 0; i < unique.length; i += BATCH_SIZE) {
      let requests = unique.slice(i, i + BATCH_SIZE).map((sample) => ({ PutRequest: { Item: { ...sample, ttl: expiresAtSeconds(sample.receivedAt, this.retentionDays) } } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS) throw new TelemetryWriteError(`${requests.length} telemetry samples left unprocessed after ${MAX_ATTEMPTS} attempts`);
        const result = await this.dynamo.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  async latest(endpoint: string, limit: number): Promise<TelemetrySample[]> {
    const result = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'endpoint = :e',
        ExpressionAttributeValues: { ':e': endpoint },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => withoutTtl<TelemetrySample>(item));
  }
}
