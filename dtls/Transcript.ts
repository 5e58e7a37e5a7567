import { createHash, type Hash } from 'node:crypto';

/**
 * The running hash of handshake messages (RFC 5246 §7.4.9, RFC 6347 §4.2.6: each message as if
 * sent in one fragment; the first ClientHello and HelloVerifyRequest are left out).
 */
export class Transcript {
  private readonly hash: Hash = createHash('sha256');
  /**
   * The digest of the messages so far, until the next one: the extended master secret's
   * session_hash (RFC 7627 §3) and the client Finished hash the same messages, up to the
   * ClientKeyExchange, so one copy of the running hash serves both.
   */
  private current: Buffer | undefined;

  add(message: Buffer): void {
    this.hash.update(message);
    this.current = undefined;
  }

  /** The hash so far, without ending the running hash. */
  digest(): Buffer {
    this.current ??= this.hash.copy().digest();
    return this.current;
  }
}
