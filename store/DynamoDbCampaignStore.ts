import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CampaignStatus, type AuditEntry, type Campaign } from '../core/campaign/Campaign.ts';
import { whenConditionHolds } from './conditionalWrite.ts';

export interface CampaignStore {
  create(campaign: Campaign): Promise<void>;
  get(campaignId: string): Promise<Campaign | undefined>;
  list(): Promise<Campaign[]>;
  /** Moves the campaign's status only from one of `from`; returns false if it was elsewhere. */
  setStatus(campaignId: string, from: readonly CampaignStatus[], to: CampaignStatus, changes: Partial<Campaign>): Promise<boolean>;
  update(campaignId: string, changes: Partial<Campaign>): Promise<void>;
  /**
   * An operator's action: applies `changes` and appends `entry` to the audit trail in one
   * conditional write, only while the campaign is in one of `allowedFrom`. False otherwise.
   */
  act(campaignId: string, allowedFrom: readonly CampaignStatus[], changes: Partial<Campaign>, entry: AuditEntry): Promise<boolean>;
  /** Removes a campaign whose create did not go through (its image could not be reserved), only while CREATED. */
  discardUnstarted(campaignId: string): Promise<boolean>;
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
    return whenConditionHolds(this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { campaignId },
        UpdateExpression: `SET ${sets}`,
        ConditionExpression: `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: { ...names, '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    ));
  }

  act(campaignId: string, allowedFrom: readonly CampaignStatus[], changes: Partial<Campaign>, entry: AuditEntry): Promise<boolean> {
    return appendAudit(this.dynamo, this.tableName, campaignId, allowedFrom, changes, entry);
  }

  discardUnstarted(campaignId: string): Promise<boolean> {
    return whenConditionHolds(
      this.dynamo.send(
        new DeleteCommand({ TableName: this.tableName, Key: { campaignId }, ConditionExpression: '#status = :created', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':created': CampaignStatus.Created } }),
      ),
    );
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

export async function appendAudit(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  campaignId: string,
  allowedFrom: readonly CampaignStatus[],
  changes: Partial<Campaign>,
  entry: AuditEntry,
): Promise<boolean> {
  const { names, values, sets } = setClause(changes);
  allowedFrom.forEach((status, i) => (values[`:from${i}`] = status));
  values[':entry'] = [entry];
  values[':empty'] = [];
  return whenConditionHolds(
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { campaignId },
        UpdateExpression: `SET ${sets}, #audit = list_append(if_not_exists(#audit, :empty), :entry)`,
        ConditionExpression: `#status IN (${allowedFrom.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: { ...names, '#status': 'status', '#audit': 'audit' },
        ExpressionAttributeValues: values,
      }),
    ),
  );
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
