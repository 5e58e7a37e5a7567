import { describe, expect, it } from 'vitest';
import { poolRandom } from '../../dtls/randomPool.ts';

describe('public handshake randoms from the CSPRNG pool', () => {
  it('never hands out the same bytes twice, across refills of the pool', () => {
    const values = Array.from({ length: 1_000 }, () => poolRandom(32).toString('hex'));

    expect(new Set(values).size).toBe(1_000);
  });

  it('gives each value its own buffer, so a session keeping its ID does not keep the pool', () => {
    const sessionId = poolRandom(32);

    expect(sessionId).toHaveLength(32);
    expect(sessionId.buffer.byteLength).toBe(32);
  });
});
