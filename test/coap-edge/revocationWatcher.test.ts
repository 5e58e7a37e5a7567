import { afterEach, describe, expect, it } from 'vitest';
import { RevocationWatcher } from '../../coap-edge/credentials/RevocationWatcher.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import type { CredentialRevocation, RevocationLog } from '../../core/ports/RevocationLog.ts';

/** The watcher against a log held in memory; polls are driven by hand, never by its timer. */
function watcherOver(initial: RevocationLog) {
  let log: RevocationLog | Error = initial;
  const revoked: string[] = [];
  let revokedAll = 0;
  const watcher = new RevocationWatcher({
    revocationLog: async () => {
      if (log instanceof Error) throw log;
      return log;
    },
    revoke: (identity) => revoked.push(identity),
    revokeAll: () => revokedAll++,
    pollIntervalMs: 3_600_000,
    logger: createLogger('test', 'silent'),
  });
  return {
    watcher,
    revoked,
    revokedAll: () => revokedAll,
    setLog: (next: RevocationLog | Error) => {
      log = next;
    },
  };
}

const entry = (epoch: number, identity: string): CredentialRevocation => ({ epoch, identity, at: epoch * 1000 });

describe('RevocationWatcher', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  it('ends the sessions of each identity revoked after it started, once each', async () => {
    const { watcher, revoked, setLog } = watcherOver({ epoch: 1, entries: [entry(1, 'before-start')] });
    stop = () => watcher.stop();
    await watcher.start();

    setLog({ epoch: 3, entries: [entry(1, 'before-start'), entry(2, 'meter-a'), entry(3, 'meter-b')] });
    await watcher.poll();
    await watcher.poll();

    expect(revoked).toEqual(['meter-a', 'meter-b']);
  });

  it('ends every session when the log moved on past the entries it keeps since the last poll', async () => {
    const { watcher, revoked, revokedAll, setLog } = watcherOver({ epoch: 1, entries: [entry(1, 'old')] });
    stop = () => watcher.stop();
    await watcher.start();

    setLog({ epoch: 400, entries: [entry(399, 'x'), entry(400, 'y')] });
    await watcher.poll();

    expect([revokedAll(), revoked]).toEqual([1, []]);
  });

  it('applies a revocation at the next poll after a failed read of the log', async () => {
    const { watcher, revoked, setLog } = watcherOver({ epoch: 0, entries: [] });
    stop = () => watcher.stop();
    await watcher.start();

    setLog(new Error('throttled'));
    await watcher.poll();
    setLog({ epoch: 1, entries: [entry(1, 'meter-c')] });
    await watcher.poll();

    expect(revoked).toEqual(['meter-c']);
  });
});
