/**
 * Key derivation of TLS 1.2 (RFC 5246 §5, §8.1, §6.3) for the PSK key exchange (RFC 4279 §2),
 * with the extended master secret of RFC 7627 §4. Only SHA-256, the PRF of every suite we offer.
 */
import { createHmac } from 'node:crypto';

/** RFC 5246 §5: PRF(secret, label, seed) = P_SHA256(secret, label + seed), cut to `length` bytes. */
export function prf(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelAndSeed = Buffer.allocUnsafe(label.length + seed.length);
  seed.copy(labelAndSeed, labelAndSeed.write(label, 'ascii'));
  const output = Buffer.alloc(length);
  let a = labelAndSeed; // A(0)
  let written = 0;
  while (written < length) {
    a = createHmac('sha256', secret).update(a).digest(); // A(i) = HMAC(secret, A(i-1))
    const block = createHmac('sha256', secret).update(a).update(labelAndSeed).digest();
    written += block.copy(output, written);
  }
  return output;
}

/** RFC 4279 §2: uint16 N, N zero bytes (other_secret), uint16 N, the PSK. */
export function pskPremasterSecret(psk: Buffer): Buffer {
  const premaster = Buffer.alloc(4 + 2 * psk.length);
  premaster.writeUInt16BE(psk.length, 0);
  premaster.writeUInt16BE(psk.length, 2 + psk.length);
  psk.copy(premaster, 4 + psk.length);
  return premaster;
}

/** RFC 5246 §8.1 master secret, or RFC 7627 §4 when `sessionHash` is given (extended_master_secret). */
export function masterSecret(premaster: Buffer, clientRandom: Buffer, serverRandom: Buffer, sessionHash?: Buffer): Buffer {
  if (sessionHash !== undefined) return prf(premaster, 'extended master secret', sessionHash, 48);
  return prf(premaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
}

/** Traffic keys of an AEAD suite: no MAC keys, a write key and a 4-byte implicit nonce (salt) per side. */
export interface KeyBlock {
  readonly clientWriteKey: Buffer;
  readonly serverWriteKey: Buffer;
  readonly clientWriteIv: Buffer;
  readonly serverWriteIv: Buffer;
}

/** RFC 5246 §6.3 key expansion for AES-128-CCM-8 (RFC 6655 §3: 16-byte keys, 4-byte salts). */
export function expandKeys(master: Buffer, clientRandom: Buffer, serverRandom: Buffer): KeyBlock {
  const block = prf(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 40);
  return {
    clientWriteKey: block.subarray(0, 16),
    serverWriteKey: block.subarray(16, 32),
    clientWriteIv: block.subarray(32, 36),
    serverWriteIv: block.subarray(36, 40),
  };
}

/** RFC 5246 §7.4.9: verify_data = PRF(master, finished_label, Hash(handshake_messages))[0..11]. */
export function finishedVerifyData(master: Buffer, sender: 'client' | 'server', transcriptHash: Buffer): Buffer {
  return prf(master, `${sender} finished`, transcriptHash, 12);
}
