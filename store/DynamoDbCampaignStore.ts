import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CampaignStatus, type Campaign } from '../core/campaign/Campaign.ts';
import type { CampaignChange } from '../core/campaign/lifecycle.ts';
import { whenConditionHolds } from './conditionalWrite.ts';

/** Campaign attributes written outside the lifecycle: never the status, its version or the audit trail. */
export type CampaignProgressFacts = Partial<Pick<Campaign, 'currentCohort' | 'phase' | 'abortReason' | 'releaseBucket' | 'phaseWaiter'>>;

export interface CampaignStore {
  create(campaign: Campaign): Promise<void>;
  get(campaignId: string): Promise<Campaign | undefined>;
  list(): Promise<Campaign[]>;
  /**
   * Writes a lifecycle change (core/campaign/lifecycle.ts): the new status and version, its facts
   * and its audit entry, in one UpdateItem conditioned on the (status, version) the change was
   * computed from. False when another writer got there first: re-read and decide again.
   */
  transition(campaignId: string, change: CampaignChange): Promise<boolean>;
  update(campaignId: string, changes: CampaignProgressFacts): Promise<void>;
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

  transition(campaignId: string, change: CampaignChange): Promise<boolean> {
    const { names, values, sets } = setClause({ ...change.set, status: change.status, version: change.version });
    const removes = change.remove.map((key, i) => {
      names[`#r${i}`] = key;
      return `#r${i}`;
    });
    values[':expectedStatus'] = change.expected.status;
    values[':expectedVersion'] = change.expected.version;
    let update = `SET ${sets}`;
    if (change.audit !== undefined) {
      names['#audit'] = 'audit';
      values[':entry'] = [change.audit];
      values[':empty'] = [];
      update += ', #audit = list_append(if_not_exists(#audit, :empty), :entry)';
    }
    if (removes.length > 0) update += ` REMOVE ${removes.join(', ')}`;
    // Campaigns written before the version counter have none: version 0.
    const versionHolds = change.expected.version === 0 ? '(attribute_not_exists(#version) OR #version = :expectedVersion)' : '#version = :expectedVersion';
    return whenConditionHolds(
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { campaignId },
          UpdateExpression: update,
          ConditionExpression: `#status = :expectedStatus AND ${versionHolds}`,
          ExpressionAttributeNames: { ...names, '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  discardUnstarted(campaignId: string): Promise<boolean> {
    return whenConditionHolds(
      this.dynamo.send(
        new DeleteCommand({ TableName: this.tableName, Key: { campaignId }, ConditionExpression: '#status = :created', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':created': CampaignStatus.Created } }),
      ),
    );
  }

  async update(campaignId: string, changes: CampaignProgressFacts): Promise<void> {
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
