/**
 * Public random values of a handshake (client and server randoms, session IDs, connection IDs)
 * cut from a pool filled by the CSPRNG: each `randomBytes` call has a fixed cost several times
 * that of generating 32 bytes, and a handshake needs several. The values are the same CSPRNG
 * output as `randomBytes` gives, each used once; secrets (keys, the cookie secret, a stand-in PSK)
 * do not come from here. Each value is its own small buffer, so a session keeping its ID for an
 * hour keeps 32 bytes alive, not the pool.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;

const pool = randomFillSync(Buffer.alloc(POOL_BYTES));
let used = 0;

/** `length` (at most 4096) fresh random bytes from the pool. */
export function poolRandom(length: number): Buffer {
  if (used + length > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const value = Buffer.alloc(length);
  used += pool.copy(value, 0, used, used + length);
  return value;
}
