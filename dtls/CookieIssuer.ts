/**
 * Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): Cookie = HMAC(Secret, Client-IP,
 * Client-Parameters). The server keeps no per-client state until a ClientHello returns a cookie
 * that verifies, which proves the client receives at its source address, so spoofed floods cost
 * one HMAC and one small reply each. The secret rotates; the previous one still verifies, so a
 * cookie issued just before a rotation stays good for one more period.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientHello } from './helloMessages.ts';

export const COOKIE_LENGTH = 32;

export class CookieIssuer {
  private current = randomBytes(32);
  private previous = randomBytes(32);
  private rotatedAt: number;

  constructor(
    private readonly rotationMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  /** The cookie for this client address and these ClientHello parameters. */
  issue(address: string, port: number, hello: ClientHello): Buffer {
    this.rotate();
    return cookieFor(this.current, address, port, hello);
  }

  /** True when the ClientHello carries a cookie we issued to this address, this period or the last. */
  verify(address: string, port: number, hello: ClientHello): boolean {
    if (hello.cookie.length !== COOKIE_LENGTH) return false;
    this.rotate();
    return timingSafeEqual(hello.cookie, cookieFor(this.current, address, port, hello)) || timingSafeEqual(hello.cookie, cookieFor(this.previous, address, port, hello));
  }

  private rotate(): void {
    const elapsed = this.now() - this.rotatedAt;
    if (elapsed < this.rotationMs) return;
    this.previous = elapsed < 2 * this.rotationMs ? this.current : randomBytes(32);
    this.current = randomBytes(32);
    this.rotatedAt = this.now();
  }
}

/**
 * The parameters RFC 6347 §4.2.1 requires a client to repeat in its second ClientHello:
 * version, random, session_id, cipher_suites, compression_methods (extensions may change).
 * Written into one buffer, with their lengths, and hashed in one update.
 */
function cookieFor(secret: Buffer, address: string, port: number, hello: ClientHello): Buffer {
  const addressLength = Buffer.byteLength(address, 'utf8');
  const input = Buffer.allocUnsafe(9 + addressLength + hello.random.length + hello.sessionId.length + hello.compressionMethods.length + 2 * hello.cipherSuites.length);
  input.writeUInt8(addressLength, 0);
  input.writeUInt16BE(port, 1);
  input.writeUInt16BE(hello.version, 3);
  input.writeUInt16BE(hello.cipherSuites.length, 5);
  input.writeUInt8(hello.sessionId.length, 7);
  input.writeUInt8(hello.compressionMethods.length, 8);
  let offset = 9 + input.write(address, 9, 'utf8');
  offset += hello.random.copy(input, offset);
  offset += hello.sessionId.copy(input, offset);
  offset += hello.compressionMethods.copy(input, offset);
  for (const cipherSuite of hello.cipherSuites) offset = input.writeUInt16BE(cipherSuite, offset);
  return createHmac('sha256', secret).update(input).digest();
}
