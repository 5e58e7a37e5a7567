import { createHash, type Hash } from 'node:crypto';

/**
 * The running hash of handshake messages (RFC 5246 §7.4.9, RFC 6347 §4.2.6: each message as if
 * sent in one fragment; the first ClientHello and HelloVerifyRequest are left out).
 */
export class Transcript {
  private readonly hash: Hash = createHash('sha256');

  add(message: Buffer): void {
    this.hash.update(message);
  }

  /** The hash so far, without ending the running hash. */
  digest(): Buffer {
    return this.hash.copy().digest();
  }
}
