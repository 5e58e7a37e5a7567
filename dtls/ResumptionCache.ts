/**
 * Sessions that may be resumed by session ID (RFC 5246 §7.4.1.2, the abbreviated handshake):
 * the master secret and PSK identity of each full handshake, bounded in count and age. An entry
 * lives no longer than an idle session would, so resumption never outlives what a session could.
 */
export interface ResumableSession {
  readonly identity: Buffer;
  readonly masterSecret: Buffer;
  readonly extendedMasterSecret: boolean;
  readonly storedAt: number;
}

export class ResumptionCache {
  /** Insertion order is age order: the first entry is the oldest. */
  private readonly entries = new Map<string, ResumableSession>();

  constructor(
    private readonly maxEntries: number,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Keeps a session for resumption; the cache owns `masterSecret` from here on and wipes it when dropping it. */
  remember(sessionId: Buffer, session: Omit<ResumableSession, 'storedAt'>): void {
    if (sessionId.length === 0 || this.maxEntries === 0) return;
    const key = sessionId.toString('latin1');
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.drop(oldest.value);
    }
    this.entries.set(key, { identity: session.identity, masterSecret: session.masterSecret, extendedMasterSecret: session.extendedMasterSecret, storedAt: this.now() });
  }

  /** The session to resume, unless unknown or too old. */
  find(sessionId: Buffer): ResumableSession | undefined {
    if (sessionId.length === 0) return undefined;
    const key = sessionId.toString('latin1');
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.storedAt > this.lifetimeMs) {
      this.drop(key);
      return undefined;
    }
    return entry;
  }

  /** Forgets every session of an identity (its key changed or was revoked). */
  forget(identity: Buffer): void {
    for (const [key, entry] of this.entries) if (entry.identity.equals(identity)) this.drop(key);
  }

  forgetSession(sessionId: Buffer): void {
    if (sessionId.length > 0) this.drop(sessionId.toString('latin1'));
  }

  /** Drops entries past their lifetime. */
  sweep(): void {
    const cutoff = this.now() - this.lifetimeMs;
    for (const [key, entry] of this.entries) {
      if (entry.storedAt >= cutoff) break; // the rest are younger
      this.drop(key);
    }
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    this.entries.get(key)?.masterSecret.fill(0);
    this.entries.delete(key);
  }
}
