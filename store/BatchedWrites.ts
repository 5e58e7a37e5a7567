/**
 * Unconditional single-item puts, coalesced: every PutItem asked for in one turn of the event loop
 * goes out in BatchWriteItem calls of up to 25 items (across tables); each caller's promise settles
 * when its own item is written. Order per key is kept: a put of a key whose earlier put is still on
 * the wire waits for it (two batches in flight could land in either order), and of two puts of one
 * key in the same turn only the later is sent (BatchWriteItem refuses duplicate keys in a call).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchIncompleteError } from './errors.ts';

/** DynamoDB's BatchWriteItem limit. */
const MAX_ITEMS_PER_BATCH = 25;
/** Rounds for items handed back unprocessed (throttling) before the put fails. */
const MAX_ROUNDS = 8;
const BACKOFF_MS = 25;

type Item = Record<string, unknown>;
type WriteResult = { readonly written: true } | { readonly error: unknown };

interface PendingWrite {
  readonly id: string;
  readonly tableName: string;
  readonly keyName: string;
  item: Item;
  readonly waiters: ((result: WriteResult) => void)[];
  rounds: number;
}

export class BatchedWrites {
  private queue = new Map<string, PendingWrite>();
  private readonly onTheWire = new Set<string>();
  private scheduled = false;

  constructor(private readonly dynamo: DynamoDBDocumentClient) {}

  /** Writes `item` (its single string key is `keyName`), replacing what the table held under that key. */
  put(tableName: string, keyName: string, item: Item): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = (result: WriteResult): void => ('error' in result ? reject(result.error as Error) : resolve());
      this.enqueue({ id: `${tableName}\u0000${String(item[keyName])}`, tableName, keyName, item, waiters: [waiter], rounds: 0 });
    });
  }

  private enqueue(write: PendingWrite): void {
    const pending = this.queue.get(write.id);
    if (pending === undefined) this.queue.set(write.id, write);
    else {
      // The later put of the key replaces the earlier one; both callers learn when it is written.
      pending.item = write.item;
      pending.waiters.push(...write.waiters);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.queue.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ready: PendingWrite[] = [];
    for (const write of this.queue.values()) if (!this.onTheWire.has(write.id)) ready.push(write);
    for (const write of ready) {
      this.queue.delete(write.id);
      this.onTheWire.add(write.id);
    }
    for (let start = 0; start < ready.length; start += MAX_ITEMS_PER_BATCH) {
      const batch = ready.slice(start, start + MAX_ITEMS_PER_BATCH);
      // send() hands its own failures to the waiters; anything else still reaches them.
      this.send(batch).catch((error: unknown) => batch.forEach((write) => settle(write, { error })));
    }
  }

  private async send(writes: readonly PendingWrite[]): Promise<void> {
    const requestItems: Record<string, { PutRequest: { Item: Item } }[]> = {};
    for (const write of writes) (requestItems[write.tableName] ??= []).push({ PutRequest: { Item: write.item } });
    const retry: PendingWrite[] = [];
    try {
      const result = await this.dynamo.send(new BatchWriteCommand({ RequestItems: requestItems }));
      const unprocessed = new Set<string>();
      for (const [tableName, requests] of Object.entries(result.UnprocessedItems ?? {})) {
        for (const request of requests) {
          const item = request.PutRequest?.Item;
          if (item !== undefined) unprocessed.add(`${tableName}\u0000${String(item[writes.find((w) => w.tableName === tableName)?.keyName ?? ''])}`);
        }
      }
      for (const write of writes) {
        if (!unprocessed.has(write.id)) settle(write, { written: true });
        else if (++write.rounds >= MAX_ROUNDS) settle(write, { error: new BatchIncompleteError(`${write.tableName}: an item was not written in ${MAX_ROUNDS} rounds (throttled)`) });
        else retry.push(write);
      }
    } catch (error) {
      for (const write of writes) settle(write, { error });
    } finally {
      for (const write of writes) this.onTheWire.delete(write.id);
      for (const write of retry) this.onTheWire.add(write.id);
      if (retry.length > 0) {
        setTimeout(() => {
          for (const write of retry) this.onTheWire.delete(write.id);
          for (const write of retry) this.requeueBefore(write);
        }, BACKOFF_MS * (retry[0]?.rounds ?? 1));
      }
      this.schedule();
    }
  }

  /** An unprocessed write goes back ahead of any later put of its key (which then replaces it). */
  private requeueBefore(write: PendingWrite): void {
    const later = this.queue.get(write.id);
    if (later !== undefined) {
      later.waiters.unshift(...write.waiters);
      this.schedule();
      return;
    }
    this.enqueue(write);
  }
}

function settle(write: PendingWrite, result: WriteResult): void {
  for (const waiter of write.waiters) waiter(result);
}

const perClient = new WeakMap<DynamoDBDocumentClient, BatchedWrites>();

/** The one BatchedWrites of a client: the stores sharing a client share its batches. */
export function batchedWrites(dynamo: DynamoDBDocumentClient): BatchedWrites {
  let instance = perClient.get(dynamo);
  if (instance === undefined) {
    instance = new BatchedWrites(dynamo);
    perClient.set(dynamo, instance);
  }
  return instance;
}
