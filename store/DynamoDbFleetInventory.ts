import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isTagItem } from './deviceTagItems.ts';
import type { DeviceFacts } from '../core/fleet/fleetVersions.ts';
import type { JobOutcome } from '../core/fleet/lastUpdates.ts';

/**
 * Fleet-wide reads for the inventory (GET /fleet/...): parallel scans that project only the few
 * attributes a count needs, so 100,000 devices are ~10 MB read in a few parallel requests instead
 * of whole registrations (objects, formats, addresses) item by item.
 */
export interface FleetInventory {
  listDeviceFacts(): Promise<DeviceFacts[]>;
  /** Every job's endpoint, campaign, status and last change: what "failed its last update" is computed from. */
  listJobOutcomes(): Promise<JobOutcome[]>;
}

/** Scan segments read in parallel (DynamoDB parallel scan). */
const SEGMENTS = 4;

export class DynamoDbFleetInventory implements FleetInventory {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tables: { readonly devices: string; readonly jobs: string },
  ) {}

  async listDeviceFacts(): Promise<DeviceFacts[]> {
    // The registry table also holds the operator's tag items (store/deviceTagItems.ts): devices only.
    return (await this.scan<DeviceFacts>(this.tables.devices, ['endpoint', 'model', 'firmwareVersion', 'lastSeen', 'lifetimeSeconds'])).filter((item) => !isTagItem({ ...item }));
  }

  listJobOutcomes(): Promise<JobOutcome[]> {
    return this.scan<JobOutcome>(this.tables.jobs, ['endpoint', 'campaignId', 'status', 'reason', 'targetVersion', 'updatedAt']);
  }

  private async scan<T>(tableName: string, attributes: readonly string[]): Promise<T[]> {
    const names = Object.fromEntries(attributes.map((name, i) => [`#p${i}`, name]));
    const segments = await Promise.all(Array.from({ length: SEGMENTS }, async (_, segment) => {
      const items: T[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.dynamo.send(new ScanCommand({
          TableName: tableName,
          Segment: segment,
          TotalSegments: SEGMENTS,
          ProjectionExpression: Object.keys(names).join(', '),
          ExpressionAttributeNames: names,
          ExclusiveStartKey: startKey,
        }));
        items.push(...((page.Items ?? []) as T[]));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return items;
    }));
    return segments.flat();
  }
}
