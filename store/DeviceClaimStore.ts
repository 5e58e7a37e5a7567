/**
 * Device claims: one item per endpoint naming the campaign that may send the device firmware.
 * Every change is a single-item conditional write (dynalite has no transactions), so two
 * campaigns racing for a device can never both hold it: the claim is the lock, never a read.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { whenConditionHolds } from './conditionalWrite.ts';
import type { ClaimOutcome, DeviceClaim, DeviceClaimStore } from '../core/ports/DeviceClaimStore.ts';

/** A claim that kept changing hands while it was being taken (a retried task tries again). */
export class ClaimContentionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClaimContentionError';
  }
}

export class DynamoDbDeviceClaimStore implements DeviceClaimStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(endpoint: string, campaignId: string, now: number): Promise<ClaimOutcome> {
    // A claim gone between the failed write and the read is tried again (bounded). Campaigns no
    // longer delete their claims (a later one takes them over): only a hand-made delete does.
    for (let round = 0; round < 5; round++) {
      const taken = await whenConditionHolds(
        this.dynamo.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { endpoint, campaignId, claimedAt: now },
            ConditionExpression: 'attribute_not_exists(endpoint) OR campaignId = :me',
            ExpressionAttributeValues: { ':me': campaignId },
          }),
        ),
      );
      if (taken) return { claimed: true };
      const current = await this.get(endpoint);
      if (current !== undefined) return current.campaignId === campaignId ? { claimed: true } : { claimed: false, holder: current.campaignId };
    }
    throw new ClaimContentionError(`device ${endpoint}: claimed and released by other campaigns five times while ${campaignId} tried to claim it`);
  }

  takeOver(endpoint: string, campaignId: string, holder: string, now: number): Promise<boolean> {
    return whenConditionHolds(
      this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { endpoint, campaignId, claimedAt: now },
          ConditionExpression: 'campaignId = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  async get(endpoint: string): Promise<DeviceClaim | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { endpoint }, ConsistentRead: true }));
    return result.Item as DeviceClaim | undefined;
  }
}
