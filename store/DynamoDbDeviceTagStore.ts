import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { applyTagChange, tagsOf, type DeviceTags, type TagChange } from '../core/devices/deviceTags.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import { ConcurrentTagChangeError, MAX_TAG_RACE_ATTEMPTS, tagsCondition } from './DynamoDbRegistrationStore.ts';

/** The operator's groups and attributes of devices, kept on each device's registry item. */
export interface DeviceTagStore {
  /** The device's tags after the change, or undefined when the registry has no such device. */
  change(endpoint: string, change: TagChange): Promise<DeviceTags | undefined>;
}

export class DynamoDbDeviceTagStore implements DeviceTagStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async change(endpoint: string, change: TagChange): Promise<DeviceTags | undefined> {
    // Read, change, write back conditional on what was read: a concurrent tag of the same device
    // (or a Register, which carries the tags over) makes the write retry on the newer tags.
    for (let attempt = 1; ; attempt++) {
      const current = await this.dynamo.send(new GetCommand({
        TableName: this.tableName,
        Key: { endpoint },
        ConsistentRead: true,
        ProjectionExpression: 'endpoint, #g, #a, tagRevision',
        ExpressionAttributeNames: { '#g': 'groups', '#a': 'attributes' },
      }));
      if (current.Item === undefined) return undefined;
      const tags = applyTagChange(tagsOf(current.Item as Partial<DeviceTags>), change);
      const condition = tagsCondition(current.Item);
      const written = await whenConditionHolds(this.dynamo.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { endpoint },
        UpdateExpression: 'SET #g = :newGroups, #a = :newAttributes, #rev = :newRevision',
        ConditionExpression: `attribute_exists(endpoint) AND ${condition.ConditionExpression}`,
        ExpressionAttributeNames: { ...condition.ExpressionAttributeNames, '#g': 'groups', '#a': 'attributes' },
        ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':newGroups': tags.groups, ':newAttributes': tags.attributes, ':newRevision': Number(current.Item['tagRevision'] ?? 0) + 1 },
      })));
      if (written) return tags;
      if (attempt >= MAX_TAG_RACE_ATTEMPTS) throw new ConcurrentTagChangeError(`tags of ${endpoint}: kept changing over ${attempt} attempts`);
    }
  }
}
