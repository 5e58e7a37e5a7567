/**
 * The PSK lookup a DTLS handshake makes, cached. Without it every full handshake costs a DynamoDB
 * read and a KMS Decrypt, so a reconnect storm (or a flood) throttles KMS for the whole account.
 *
 * - Bounded: at most `maxEntries` identities, least recently used dropped first.
 * - Short-lived: a key is kept `ttlMs` (60 s by default); an unknown identity `unknownTtlMs`
 *   (2 s), long enough to absorb a burst of handshakes naming it, short enough that a device
 *   provisioned a moment ago is let in on its next try.
 * - Dropped on revoke: `forget(identity)` is called by the revocation watcher, so a revoked or
 *   replaced key is never served from here after its revocation reaches this task.
 * - One lookup in flight per identity: concurrent handshakes naming it share it.
 */
export interface PskCacheOptions {
  readonly lookup: (identity: string) => Promise<Buffer | undefined>;
  readonly now: () => number;
  /** @default 60_000 */
  readonly ttlMs?: number;
  /** @default 2_000 */
  readonly unknownTtlMs?: number;
  /** @default 50_000 */
  readonly maxEntries?: number;
}

interface Entry {
  readonly psk: Buffer | undefined;
  readonly expiresAt: number;
}

export class PskCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Buffer | undefined>>();
  /** Bumped by `forget`: a lookup that started before any forget does not store its answer. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly unknownTtlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly options: PskCacheOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.unknownTtlMs = options.unknownTtlMs ?? 2_000;
    this.maxEntries = options.maxEntries ?? 50_000;
  }

  get size(): number {
    return this.entries.size;
  }

  async pskFor(identity: string): Promise<Buffer | undefined> {
    const cached = this.entries.get(identity);
    if (cached !== undefined && cached.expiresAt > this.options.now()) {
      // Most recently used goes last: Map iteration order is insertion order.
      this.entries.delete(identity);
      this.entries.set(identity, cached);
      return cached.psk;
    }
    this.entries.delete(identity);
    const pending = this.inFlight.get(identity);
    if (pending !== undefined) return pending;
    const lookup: Promise<Buffer | undefined> = this.lookUp(identity).finally(() => {
      if (this.inFlight.get(identity) === lookup) this.inFlight.delete(identity);
    });
    this.inFlight.set(identity, lookup);
    return lookup;
  }

  /** Drops what is known of this identity, including an answer still on its way. */
  forget(identity: string): void {
    this.entries.delete(identity);
    this.inFlight.delete(identity);
    this.generation += 1;
  }

  forgetAll(): void {
    this.entries.clear();
    this.inFlight.clear();
    this.generation += 1;
  }

  private async lookUp(identity: string): Promise<Buffer | undefined> {
    const generation = this.generation;
    const psk = await this.options.lookup(identity);
    if (this.generation !== generation) return psk;
    this.entries.set(identity, { psk, expiresAt: this.options.now() + (psk === undefined ? this.unknownTtlMs : this.ttlMs) });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return psk;
  }
}
