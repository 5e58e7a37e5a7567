import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Campaign, CampaignStatus } from '../core/campaign/Campaign.ts';
import { isConditionalCheckFailure } from './DynamoDbRegistrationStore.ts';

export interface CampaignStore {
  create(campaign: Campaign): Promise<void>;
  get(campaignId: string): Promise<Campaign | undefined>;
  list(): Promise<Campaign[]>;
  /** Moves the campaign's status only from one of `from`; returns false if it was elsewhere. */
  setStatus(campaignId: string, from: readonly CampaignStatus[], to: CampaignStatus, changes: Partial<Campaign>): Promise<boolean>;
  update(campaignId: string, changes: Partial<Campaign>): Promise<void>;
}

export class DynamoDbCampaignStore implements CampaignStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(campaign: Campaign): Promise<void> {
    await this.dynamo.send(
      new PutCommand({ TableName: this.tableName, Item: { ...campaign }, ConditionExpression: 'attribute_not_exists(campaignId)' }),
    );
  }

  async get(campaignId: string): Promise<Campaign | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { campaignId }, ConsistentRead: true }));
    return result.Item as Campaign | undefined;
  }

  async list(): Promise<Campaign[]> {
    const items: Campaign[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as Campaign[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items.sort((a, b) => a.createdAt - b.createdAt);
  }

  async setStatus(campaignId: string, from: readonly CampaignStatus[], to: CampaignStatus, changes: Partial<Campaign>): Promise<boolean> {
    const { names, values, sets } = setClause({ ...changes, status: to });
    from.forEach((status, i) => (values[`:from${i}`] = status));
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { campaignId },
          UpdateExpression: `SET ${sets}`,
          ConditionExpression: `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
          ExpressionAttributeNames: { ...names, '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async update(campaignId: string, changes: Partial<Campaign>): Promise<void> {
    const { names, values, sets } = setClause(changes);
    await this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { campaignId },
        UpdateExpression: `SET ${sets}`,
        ConditionExpression: 'attribute_exists(campaignId)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }
}

function setClause(changes: Record<string, unknown>): { names: Record<string, string>; values: Record<string, unknown>; sets: string } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const parts = Object.entries({ ...changes, updatedAt: Date.now() })
    .filter(([key, value]) => value !== undefined && key !== 'campaignId')
    .map(([key, value], i) => {
      names[`#c${i}`] = key;
      values[`:c${i}`] = value;
      return `#c${i} = :c${i}`;
    });
  return { names, values, sets: parts.join(', ') };
}
