import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';

/**
 * The registry's write-behind for Registers (store/DynamoDbRegistrationStore.ts#register): a
 * registration is held here until what the edge learns right after the Register (the negotiated
 * format, then the `/3/0` facts) has joined it, 2 s at most, then written with the others of the moment
 * as whole-item Puts, 25 to a BatchWriteItem. A burst of Registers costs one store call per 25
 * devices instead of three per device.
 *
 * What the held registrations mean: a device is registered once answered; until its item is
 * stored, this process answers reads by endpoint and by id from here (its Update finds it); other
 * processes see it a moment later. A write that never lands (the store refused it 8 times) only
 * ever costs the device a 4.04 on its next Update, which makes it Register again (LwM2M 1.1 §6.2.2).
 * The item written is the device's own: the operator's tags are items of their own
 * (store/deviceTagItems.ts), so a Put never overwrites them.
 */

/** DynamoDB's BatchWriteItem limit. */
const MAX_ITEMS_PER_BATCH = 25;
/** Rounds for items handed back unprocessed (throttling) or failed before they are given up. */
const MAX_ROUNDS = 8;
const BACKOFF_MS = 50;
/** Registrations whose facts came in wait this long for others to fill their batch. */
const COMPLETE_BATCH_WAIT_MS = 20;
/**
 * As the document client marshals (store/clients.ts), called directly: the document client walks
 * every item once more before marshalling it, a fifth of the CPU of writing a batch.
 */
const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

export interface WriteBehindOptions {
  /** How long a registration waits for its facts before it is written anyway. @default 2,000 ms */
  readonly holdMs?: number;
  /** Held registrations past which a new one waits for room (the store is slower than the Registers). @default 4,000 */
  readonly maxHeld?: number;
  /** BatchWriteItem calls in flight at once. @default 8 */
  readonly maxBatchesInFlight?: number;
  /** The longest a batch that is not full waits for the batches being written (one may hang: the SDK sets no timeout). @default 200 ms */
  readonly partialWaitMs?: number;
  /** Told of each registration given up after MAX_ROUNDS. */
  readonly onLost?: (registration: DeviceRegistration, error: unknown) => void;
  readonly clock?: () => number;
}

interface Held {
  registration: DeviceRegistration;
  readonly dueAt: number;
  /** Its facts are in: it need not wait any longer. */
  complete: boolean;
  rounds: number;
}

export class RegistryWriteBehind {
  /** In the order they were held (a Map keeps insertion order; a new Register of an endpoint goes last). */
  private readonly held = new Map<string, Held>();
  /** Held registrations whose facts are in: written at the next turn. */
  private readonly completed = new Set<string>();
  /** Endpoints whose item is being written now, and the write. */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly endpointByRegistrationId = new Map<string, string>();
  private readonly roomWaiters: (() => void)[] = [];
  private readonly holdMs: number;
  private readonly maxHeld: number;
  private readonly maxBatchesInFlight: number;
  private readonly partialWaitMs: number;
  private readonly now: () => number;
  private batchesInFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** Since when a batch that is not full has been waiting for the batches being written. */
  private partialWaitingSince: number | undefined;

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: WriteBehindOptions = {},
  ) {
    this.holdMs = options.holdMs ?? 2_000;
    this.maxHeld = options.maxHeld ?? 4_000;
    this.maxBatchesInFlight = options.maxBatchesInFlight ?? 8;
    this.partialWaitMs = options.partialWaitMs ?? 200;
    this.now = options.clock ?? Date.now;
  }

  /** Holds the registration for writing; waits only while the store is behind by `maxHeld`. */
  async hold(registration: DeviceRegistration): Promise<void> {
    while (this.held.size >= this.maxHeld) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    const replaced = this.held.get(registration.endpoint);
    if (replaced !== undefined) {
      this.endpointByRegistrationId.delete(replaced.registration.registrationId);
      this.held.delete(registration.endpoint);
      this.completed.delete(registration.endpoint);
    }
    this.held.set(registration.endpoint, { registration, dueAt: this.now() + this.holdMs, complete: false, rounds: 0 });
    this.endpointByRegistrationId.set(registration.registrationId, registration.endpoint);
    this.schedule(this.holdMs);
  }

  /** The registration held for this endpoint, if any. */
  get(endpoint: string): DeviceRegistration | undefined {
    return this.held.get(endpoint)?.registration;
  }

  /** Every registration held now. */
  all(): DeviceRegistration[] {
    return [...this.held.values()].map((entry) => entry.registration);
  }

  /** The held registration with this id, if any. */
  findByRegistrationId(registrationId: string): DeviceRegistration | undefined {
    const endpoint = this.endpointByRegistrationId.get(registrationId);
    return endpoint === undefined ? undefined : this.get(endpoint);
  }

  /**
   * Applies changes to the held registration with this id: true when it is held (the changes go
   * out with it), false when it is not (the caller writes them itself). Facts (`deviceInfoReadAt`)
   * complete it: it is written at the next flush.
   */
  change(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): boolean {
    const entry = this.held.get(endpoint);
    if (entry?.registration.registrationId !== registrationId) return false;
    entry.registration = { ...entry.registration, ...changes, endpoint, registrationId };
    if (changes.deviceInfoReadAt !== undefined && !entry.complete) {
      entry.complete = true;
      this.completed.add(endpoint);
      this.schedule(this.completed.size >= MAX_ITEMS_PER_BATCH ? 0 : COMPLETE_BATCH_WAIT_MS);
    }
    return true;
  }

  /** Forgets the held registration with this id: true when one was held. */
  drop(endpoint: string, registrationId: string): boolean {
    const entry = this.held.get(endpoint);
    if (entry?.registration.registrationId !== registrationId) return false;
    this.forget(endpoint, entry);
    return true;
  }

  /** Resolves once the write of this endpoint's item now in flight (if any) is over. */
  async writeSettled(endpoint: string): Promise<void> {
    await this.writing.get(endpoint);
  }

  /** Writes everything held now, and waits for every write in flight. */
  async flush(): Promise<void> {
    while (this.held.size > 0 || this.writing.size > 0) {
      this.write(true);
      await Promise.all(this.writing.values());
    }
  }

  /** Runs `write` in `delayMs`, or sooner if it is already due sooner. */
  private schedule(delayMs: number): void {
    const at = this.now() + delayMs;
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write(false);
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Starts batches of what is due (everything when `all`), as many as may be in flight: facts in
   * first, then the oldest (held keeps them in the order they came, each held as long). A batch
   * that is not full waits while another is in flight (the SDK's cost is mostly per call): the end
   * of that one calls again, and by then more have come in; after `partialWaitMs` it goes anyway.
   */
  private write(all: boolean): void {
    const now = this.now();
    const pressing = this.held.size > this.maxHeld / 2;
    const room = all ? Number.POSITIVE_INFINITY : (this.maxBatchesInFlight - this.batchesInFlight) * MAX_ITEMS_PER_BATCH;
    const due: [string, Held][] = [];
    const taken = new Set<string>();
    for (const endpoint of this.completed) {
      if (due.length >= room) break;
      const entry = this.held.get(endpoint);
      // One being written goes again when that write ends (it changed meanwhile).
      if (entry === undefined) this.completed.delete(endpoint);
      else if (!this.writing.has(endpoint)) {
        due.push([endpoint, entry]);
        taken.add(endpoint);
      }
    }
    let nextDueAt: number | undefined;
    for (const [endpoint, entry] of this.held) {
      if (due.length >= room) break;
      if (this.writing.has(endpoint) || taken.has(endpoint)) continue;
      if (!all && !pressing && !entry.complete && entry.dueAt > now) {
        nextDueAt = entry.dueAt;
        break;
      }
      due.push([endpoint, entry]);
    }
    const partial = due.length % MAX_ITEMS_PER_BATCH;
    const waitedOut = this.partialWaitingSince !== undefined && now - this.partialWaitingSince >= this.partialWaitMs;
    const held = partial > 0 && !all && !waitedOut && this.batchesInFlight > 0;
    const sent = held ? due.length - partial : due.length;
    if (held) {
      this.partialWaitingSince ??= now;
      this.schedule(this.partialWaitMs - (now - this.partialWaitingSince));
    } else this.partialWaitingSince = undefined;
    for (let start = 0; start < sent; start += MAX_ITEMS_PER_BATCH) {
      const batch = due.slice(start, Math.min(sent, start + MAX_ITEMS_PER_BATCH));
      for (const [endpoint] of batch) this.completed.delete(endpoint);
      this.send(batch);
    }
    // With no room now, a batch that ends calls again.
    if (nextDueAt !== undefined) this.schedule(Math.max(1, nextDueAt - now));
  }

  private send(batch: readonly [string, Held][]): void {
    this.batchesInFlight++;
    const written = this.putBatch(batch).finally(() => {
      this.batchesInFlight--;
      for (const [endpoint] of batch) if (this.writing.get(endpoint) === written) this.writing.delete(endpoint);
      if (this.held.size > 0) this.schedule(0);
    });
    for (const [endpoint] of batch) this.writing.set(endpoint, written);
  }

  /** One BatchWriteItem; what it does not write goes back to be held, up to MAX_ROUNDS. */
  private async putBatch(batch: readonly [string, Held][]): Promise<void> {
    const items = batch.map(([, entry]) => entry.registration);
    let unprocessed: Set<string>;
    let failure: unknown;
    try {
      const result = await this.dynamo.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: items.map((item) => ({ PutRequest: { Item: marshall(item, MARSHALL_OPTIONS) } })) } }));
      unprocessed = new Set((result.UnprocessedItems?.[this.tableName] ?? []).map((request) => String(request.PutRequest?.Item?.['endpoint']?.S)));
    } catch (error) {
      unprocessed = new Set(items.map((item) => item.endpoint));
      failure = error;
    }
    let backoffMs = 0;
    batch.forEach(([endpoint, entry], index) => {
      // Replaced or changed while it was being written (a new Register, an Update): it stays held,
      // and the newer state goes out next.
      if (this.held.get(endpoint) !== entry || entry.registration !== items[index]) return;
      if (!unprocessed.has(endpoint)) this.forget(endpoint, entry);
      else if (++entry.rounds >= MAX_ROUNDS) {
        this.forget(endpoint, entry);
        this.options.onLost?.(entry.registration, failure ?? new Error(`${this.tableName}: ${endpoint} was not written in ${MAX_ROUNDS} rounds (throttled)`));
      } else backoffMs = Math.max(backoffMs, BACKOFF_MS * entry.rounds);
    });
    // The batch's endpoints stay "being written" through the back-off, so nothing overtakes them.
    if (backoffMs > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs));
  }

  private forget(endpoint: string, entry: Held): void {
    this.held.delete(endpoint);
    this.completed.delete(endpoint);
    if (this.endpointByRegistrationId.get(entry.registration.registrationId) === endpoint) this.endpointByRegistrationId.delete(entry.registration.registrationId);
    while (this.held.size < this.maxHeld && this.roomWaiters.length > 0) this.roomWaiters.shift()?.();
  }
}
