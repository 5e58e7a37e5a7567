/**
 * Public random values of a handshake (client and server randoms, session IDs, connection IDs)
 * cut from a pool filled by the CSPRNG: each `randomBytes` call has a fixed cost several times
 * that of generating 32 bytes, and a handshake needs several. The values are the same CSPRNG
 * output as `randomBytes` gives; secrets (keys, the cookie secret, a stand-in PSK) do not come
 * from here. A pool is never refilled in place: the values handed out are views that stay valid.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;

let pool = randomBytes(POOL_BYTES);
let used = 0;

/** `length` (at most 4096) fresh random bytes from the pool. */
export function poolRandom(length: number): Buffer {
  if (used + length > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const value = pool.subarray(used, used + length);
  used += length;
  return value;
}
