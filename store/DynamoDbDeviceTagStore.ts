import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { applyTagChange, tagsOf, type DeviceTags, type TagChange } from '../core/devices/deviceTags.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import { ConcurrentTagChangeError, MAX_TAG_RACE_ATTEMPTS, tagsCondition } from './DynamoDbRegistrationStore.ts';
import { tagFieldsOf, tagItemKey } from './deviceTagItems.ts';
import { batchedReads, type BatchedReads } from './BatchedReads.ts';

/** The operator's groups and attributes of devices, each device's on a tag item of its own (store/deviceTagItems.ts). */
export interface DeviceTagStore {
  /** The device's tags after the change, or undefined when the registry has no such device. */
  change(endpoint: string, change: TagChange): Promise<DeviceTags | undefined>;
}

export class DynamoDbDeviceTagStore implements DeviceTagStore {
  private readonly reads: BatchedReads;

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.reads = batchedReads(dynamo);
  }

  async change(endpoint: string, change: TagChange): Promise<DeviceTags | undefined> {
    // Read, change, write back conditional on the revision read: a concurrent tag of the same
    // device makes the write retry on the newer tags.
    for (let attempt = 1; ; attempt++) {
      // Both items in one consistent BatchGetItem (store/BatchedReads.ts).
      const [device, tagItem] = await Promise.all([this.reads.get(this.tableName, 'endpoint', endpoint), this.reads.get(this.tableName, 'endpoint', tagItemKey(endpoint))]);
      if (device === undefined) return undefined;
      // Before tag items, tags were kept on the device item: they are the current ones until moved.
      const current = tagItem ?? tagFieldsOf(device);
      const tags = applyTagChange(tagsOf(current as Partial<DeviceTags>), change);
      const condition = tagsCondition(tagItem);
      const written = await whenConditionHolds(this.dynamo.send(new PutCommand({
        TableName: this.tableName,
        Item: { endpoint: tagItemKey(endpoint), groups: tags.groups, attributes: tags.attributes, tagRevision: Number(current['tagRevision'] ?? 0) + 1 },
        ConditionExpression: condition.ConditionExpression,
        ExpressionAttributeNames: condition.ExpressionAttributeNames,
        ...(condition.ExpressionAttributeValues === undefined ? {} : { ExpressionAttributeValues: condition.ExpressionAttributeValues }),
      })));
      if (written) return tags;
      if (attempt >= MAX_TAG_RACE_ATTEMPTS) throw new ConcurrentTagChangeError(`tags of ${endpoint}: kept changing over ${attempt} attempts`);
    }
  }
}
