/**
 * How a revoked or replaced device key reaches every edge task: the credential store logs each
 * revocation with an epoch in one item (store/credentialMarkers.ts); each task polls that item
 * every few seconds and ends the live DTLS sessions of every identity revoked since it last
 * looked. With the default 3 s poll a revocation cuts its sessions on all tasks within about
 * 3 s plus one read, inside the 10 s the API promises. A revocation made through this process's
 * own store takes effect at once as well (`CredentialStore.onRevoked`).
 */
import type { RevocationLog } from '../../core/ports/RevocationLog.ts';
import type { Logger } from '../logger.ts';

export interface RevocationWatcherOptions {
  readonly revocationLog: () => Promise<RevocationLog>;
  /** Ends every live session of this identity (and forgets its resumable sessions). */
  readonly revoke: (identity: string) => void;
  /** Ends every live session: revocations were missed (the log moved on past what it keeps). */
  readonly revokeAll: () => void;
  readonly pollIntervalMs: number;
  readonly logger: Logger;
}

export class RevocationWatcher {
  private seenEpoch: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: RevocationWatcherOptions) {}

  /**
   * Reads where the log stands (revocations before this task started concern no session of
   * it), then polls. Call before the DTLS listener opens.
   */
  async start(): Promise<void> {
    this.seenEpoch = (await this.options.revocationLog()).epoch;
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => {
        this.polling = undefined;
      });
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** One look at the log; applies every revocation newer than the last one seen. */
  async poll(): Promise<void> {
    let log: RevocationLog;
    try {
      log = await this.options.revocationLog();
    } catch (error) {
      this.options.logger.warn('revocation log not read: retried at the next poll', { error });
      return;
    }
    const seen = this.seenEpoch ?? log.epoch;
    this.seenEpoch = Math.max(seen, log.epoch);
    if (log.epoch <= seen) return;
    const oldestKept = log.entries[0]?.epoch ?? log.epoch + 1;
    if (oldestKept > seen + 1) {
      this.options.logger.warn('revocations missed: every DTLS session ends, devices handshake again', { seenEpoch: seen, oldestKept });
      this.options.revokeAll();
      return;
    }
    for (const entry of log.entries) {
      if (entry.epoch <= seen) continue;
      this.options.logger.info('DTLS sessions of a revoked identity ended', { identity: entry.identity, epoch: entry.epoch });
      this.options.revoke(entry.identity);
    }
  }
}
