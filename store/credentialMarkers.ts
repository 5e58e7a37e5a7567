/**
 * The bookkeeping items the credentials table holds beside the credentials, under keys no PSK
 * identity may take (the API refuses the prefix):
 *
 * - one item per endpoint that has a provisioned key, listing its identities: "credentials decide
 *   the transport" is then one consistent read (a GSI would be eventually consistent, and a plain
 *   Register just after provisioning could slip through);
 * - one revocation log: an epoch that grows with every revoked or replaced key, and the latest
 *   entries. Every edge task polls this one item and ends the sessions of each identity revoked
 *   since it last looked (the API and the edge tasks share nothing else).
 *
 * dynalite has no transactions: each step is a single-item write, ordered so that a failure
 * between steps errs on the side of security (an endpoint held to DTLS, never a key left alive).
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { whenConditionHolds } from './conditionalWrite.ts';
import { batchedReads } from './BatchedReads.ts';
import { StaleItemError } from './errors.ts';
import type { CredentialRevocation, RevocationLog } from '../core/ports/RevocationLog.ts';

/** Keys starting with this are the store's own; no PSK identity may start with it. */
export const RESERVED_IDENTITY_PREFIX = '!fota/';
const REVOCATION_LOG_KEY = `${RESERVED_IDENTITY_PREFIX}revocations`;
const endpointKey = (endpoint: string): string => `${RESERVED_IDENTITY_PREFIX}endpoint/${endpoint}`;

/** Entries the log keeps: far more than edge tasks can miss between two polls a few seconds apart. */
const LOG_ENTRIES_KEPT = 256;

export function isReservedIdentity(identity: string): boolean {
  return identity.startsWith(RESERVED_IDENTITY_PREFIX);
}

interface StoredLog {
  readonly identity: string;
  readonly epoch: number;
  readonly entries: CredentialRevocation[];
}

export class CredentialMarkers {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records that an endpoint has a key (before the key is usable, so NoSec is closed first). */
  async addIdentity(endpoint: string, identity: string): Promise<void> {
    await this.dynamo.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { identity: endpointKey(endpoint) },
      UpdateExpression: 'SET endpoint = :e ADD identities :i',
      ExpressionAttributeValues: { ':e': endpoint, ':i': new Set([identity]) },
    }));
  }

  /** Forgets one identity of an endpoint; the item goes when its last identity does. */
  async removeIdentity(endpoint: string, identity: string): Promise<void> {
    await this.dynamo.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { identity: endpointKey(endpoint) },
      UpdateExpression: 'DELETE identities :i',
      ExpressionAttributeValues: { ':i': new Set([identity]) },
    }));
    // DynamoDB drops a set emptied by DELETE; only then may the marker go.
    await whenConditionHolds(this.dynamo.send(new DeleteCommand({ TableName: this.tableName, Key: { identity: endpointKey(endpoint) }, ConditionExpression: 'attribute_not_exists(identities)' })));
  }

  /** Whether the endpoint has at least one provisioned identity: it then registers over DTLS only. */
  async hasIdentity(endpoint: string): Promise<boolean> {
    // Batched with the registration read of the same Register (store/BatchedReads.ts).
    const item = await batchedReads(this.dynamo).get(this.tableName, 'identity', endpointKey(endpoint));
    const identities = item?.['identities'] as ReadonlySet<string> | undefined;
    return identities !== undefined && identities.size > 0;
  }

  /** Appends a revocation to the log (optimistic concurrency on the epoch; retried on a lost race). */
  async recordRevocation(identity: string, at: number): Promise<CredentialRevocation> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.revocationLog();
      const entry: CredentialRevocation = { epoch: current.epoch + 1, identity, at };
      const item: StoredLog = { identity: REVOCATION_LOG_KEY, epoch: entry.epoch, entries: [...current.entries.slice(-(LOG_ENTRIES_KEPT - 1)), entry] };
      const written = await whenConditionHolds(this.dynamo.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...item },
        ConditionExpression: current.epoch === 0 ? 'attribute_not_exists(epoch)' : 'epoch = :seen',
        ...(current.epoch === 0 ? {} : { ExpressionAttributeValues: { ':seen': current.epoch } }),
      })));
      if (written) return entry;
    }
    throw new StaleItemError(`the revocation of ${identity} lost 20 races for the revocation log`);
  }

  async revocationLog(): Promise<RevocationLog> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { identity: REVOCATION_LOG_KEY }, ConsistentRead: true }));
    const item = result.Item as StoredLog | undefined;
    return item === undefined ? { epoch: 0, entries: [] } : { epoch: item.epoch, entries: item.entries };
  }
}
