import { describe, expect, it } from 'vitest';
import { ResumptionCache } from '../../dtls/ResumptionCache.ts';

const id = (n: number): Buffer => Buffer.alloc(32, n);
const session = (identity = 'device-1') => ({ identity: Buffer.from(identity), masterSecret: Buffer.alloc(48, 1), extendedMasterSecret: true });

describe('the session resumption cache', () => {
  it('finds a remembered session by its ID', () => {
    const cache = new ResumptionCache(10, 60_000);

    cache.remember(id(1), session());

    expect(cache.find(id(1))?.identity.toString()).toBe('device-1');
    expect(cache.find(id(2))).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest and wiping its master secret', () => {
    const cache = new ResumptionCache(2, 60_000);
    const oldest = session();

    cache.remember(id(1), oldest);
    cache.remember(id(2), session());
    cache.remember(id(3), session());

    expect(cache.size).toBe(2);
    expect(cache.find(id(1))).toBeUndefined();
    expect(oldest.masterSecret.every((byte) => byte === 0)).toBe(true);
  });

  it('does not resume a session past its lifetime', () => {
    let now = 0;
    const cache = new ResumptionCache(10, 1_000, () => now);
    cache.remember(id(1), session());

    now = 1_001;

    expect(cache.find(id(1))).toBeUndefined();
  });

  it('forgets every session of a revoked identity', () => {
    const cache = new ResumptionCache(10, 60_000);
    cache.remember(id(1), session('device-1'));
    cache.remember(id(2), session('device-2'));

    cache.forget(Buffer.from('device-1'));

    expect(cache.find(id(1))).toBeUndefined();
    expect(cache.find(id(2))).toBeDefined();
  });

  it('remembers nothing when resumption is off (no entries allowed) or the ID is empty', () => {
    const off = new ResumptionCache(0, 60_000);
    const on = new ResumptionCache(10, 60_000);

    off.remember(id(1), session());
    on.remember(Buffer.alloc(0), session());

    expect([off.size, on.size]).toEqual([0, 0]);
  });
});
