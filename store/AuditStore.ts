/**
 * The audit trail of credential and image operations: who (the caller's IAM ARN in AWS, the local
 * user at home), what (an action on a subject) and when. Written by the API after the operation
 * succeeded; read by `GET /audit?subject=`. Campaign actions keep their own trail on the campaign.
 */
import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What an audit record is about: `credential:<identity>` or `image:<imageId>`. */
export type AuditSubject = `credential:${string}` | `image:${string}`;

export interface AuditRecord {
  readonly subject: AuditSubject;
  /** e.g. `credential.provision`, `credential.revoke`, `image.upload`, `image.complete`, `image.delete`. */
  readonly action: string;
  readonly actor: string;
  /** Epoch ms. */
  readonly at: number;
  /** Facts of the operation worth keeping (the device of a credential, an image's version); never a key. */
  readonly detail?: Readonly<Record<string, string>>;
}

export interface AuditStore {
  record(entry: AuditRecord): Promise<void>;
  /** A subject's records, oldest first, at most `limit`. */
  list(subject: AuditSubject, limit: number): Promise<AuditRecord[]>;
}

/** 15 digits keep epoch milliseconds in string order until the year 33658. */
const recordKey = (at: number): string => `${String(at).padStart(15, '0')}#${randomBytes(4).toString('hex')}`;

export class DynamoDbAuditStore implements AuditStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: { ...entry, recordKey: recordKey(entry.at) }, ConditionExpression: 'attribute_not_exists(recordKey)' }));
  }

  async list(subject: AuditSubject, limit: number): Promise<AuditRecord[]> {
    const result = await this.dynamo.send(new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': subject }, Limit: limit }));
    return (result.Items ?? []).map((item) => {
      const { subject: itemSubject, action, actor, at, detail } = item as AuditRecord;
      return { subject: itemSubject, action, actor, at, ...(detail === undefined ? {} : { detail }) };
    });
  }
}
