/**
 * Consistent single-item reads, coalesced: every GetItem asked for in one turn of the event loop
 * goes out as one BatchGetItem (up to 100 keys, across tables). At a trickle that is one call per
 * read, as before; under load (a burst of Registers) one call carries many, so the SDK's fixed
 * cost per call (serialization, signing, the HTTP round trip: about a millisecond of CPU, against
 * a few microseconds a key), and the store's, is paid once per batch. A batch that is not full
 * waits while a call is out, and goes when that call ends, fuller by then, or after
 * MAX_PARTIAL_WAIT_MS: under load the batches fill themselves during the round trip (a burst of
 * 2,000 Registers a second, two keys each, fills 100 keys in 25 ms), at a trickle nothing waits,
 * and a call that hangs (the SDK sets no timeout of its own) holds no read back for longer.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchIncompleteError } from './errors.ts';

/** DynamoDB's BatchGetItem limit. */
const MAX_KEYS_PER_BATCH = 100;
/** Rounds for keys handed back unprocessed (throttling) before the read fails. */
const MAX_ROUNDS = 8;
const BACKOFF_MS = 25;
/** Calls out at once from which on a batch that is not full waits for one of them to end. */
const MAX_PARTIAL_IN_FLIGHT = 1;
/** The longest a batch that is not full waits for that call to end. */
const MAX_PARTIAL_WAIT_MS = 20;

type Item = Record<string, unknown>;
type ReadResult = { readonly item: Item | undefined } | { readonly error: unknown };

interface PendingRead {
  readonly tableName: string;
  readonly keyName: string;
  readonly keyValue: string;
  readonly waiters: ((result: ReadResult) => void)[];
  rounds: number;
}

export class BatchedReads {
  private queue = new Map<string, PendingRead>();
  private scheduled = false;
  private inFlight = 0;
  /** Sends the batch that is not full when it has waited MAX_PARTIAL_WAIT_MS. */
  private partialTimer: NodeJS.Timeout | undefined;

  constructor(private readonly dynamo: DynamoDBDocumentClient) {}

  /** The item whose single string key `keyName` is `keyValue`, read consistently. */
  get(tableName: string, keyName: string, keyValue: string): Promise<Item | undefined> {
    return new Promise((resolve, reject) => {
      const waiter = (result: ReadResult): void => ('error' in result ? reject(result.error as Error) : resolve(result.item));
      this.enqueue({ tableName, keyName, keyValue, waiters: [waiter], rounds: 0 });
    });
  }

  private enqueue(read: PendingRead): void {
    const id = readId(read.tableName, read.keyValue);
    const pending = this.queue.get(id);
    if (pending === undefined) this.queue.set(id, read);
    else pending.waiters.push(...read.waiters);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(force = false): void {
    this.scheduled = false;
    const all = [...this.queue.values()];
    const partial = all.length % MAX_KEYS_PER_BATCH;
    // The last batch, not full, stays queued while enough calls are out; the end of one sends it,
    // or its wait running out.
    const held = !force && partial > 0 && this.inFlight >= MAX_PARTIAL_IN_FLIGHT;
    const sent = held ? all.length - partial : all.length;
    this.queue = new Map(all.slice(sent).map((read) => [readId(read.tableName, read.keyValue), read]));
    if (held) {
      this.partialTimer ??= setTimeout(() => {
        this.partialTimer = undefined;
        if (this.queue.size > 0) this.flush(true);
      }, MAX_PARTIAL_WAIT_MS);
    } else {
      clearTimeout(this.partialTimer);
      this.partialTimer = undefined;
    }
    for (let start = 0; start < sent; start += MAX_KEYS_PER_BATCH) {
      const batch = all.slice(start, Math.min(sent, start + MAX_KEYS_PER_BATCH));
      this.inFlight++;
      // send() hands its own failures to the waiters; anything else still reaches them.
      this.send(batch)
        .catch((error: unknown) => batch.forEach((read) => settle(read, { error })))
        .finally(() => {
          this.inFlight--;
          if (this.queue.size > 0 && !this.scheduled) this.flush();
        });
    }
  }

  private async send(reads: readonly PendingRead[]): Promise<void> {
    const requestItems: Record<string, { Keys: Item[]; ConsistentRead: true }> = {};
    for (const read of reads) (requestItems[read.tableName] ??= { Keys: [], ConsistentRead: true }).Keys.push({ [read.keyName]: read.keyValue });
    try {
      const result = await this.dynamo.send(new BatchGetCommand({ RequestItems: requestItems }));
      const found = new Map<string, Item>();
      for (const read of reads) {
        const item = result.Responses?.[read.tableName]?.find((candidate) => candidate[read.keyName] === read.keyValue);
        if (item !== undefined) found.set(readId(read.tableName, read.keyValue), item);
      }
      const unprocessed = new Set<string>();
      for (const [tableName, entry] of Object.entries(result.UnprocessedKeys ?? {})) {
        for (const key of entry.Keys ?? []) for (const value of Object.values(key)) unprocessed.add(readId(tableName, String(value)));
      }
      for (const read of reads) {
        const id = readId(read.tableName, read.keyValue);
        if (!unprocessed.has(id)) settle(read, { item: found.get(id) });
        else if (++read.rounds >= MAX_ROUNDS) settle(read, { error: new BatchIncompleteError(`${read.tableName}: ${read.keyValue} was not read in ${MAX_ROUNDS} rounds (throttled)`) });
        else setTimeout(() => this.enqueue(read), BACKOFF_MS * read.rounds);
      }
    } catch (error) {
      for (const read of reads) settle(read, { error });
    }
  }
}

function settle(read: PendingRead, result: ReadResult): void {
  for (const waiter of read.waiters) waiter(result);
}

function readId(tableName: string, keyValue: string): string {
  return `${tableName}\u0000${keyValue}`;
}

const perClient = new WeakMap<DynamoDBDocumentClient, BatchedReads>();

/** The one BatchedReads of a client: the stores sharing a client share its batches. */
export function batchedReads(dynamo: DynamoDBDocumentClient): BatchedReads {
  let instance = perClient.get(dynamo);
  if (instance === undefined) {
    instance = new BatchedReads(dynamo);
    perClient.set(dynamo, instance);
  }
  return instance;
}
