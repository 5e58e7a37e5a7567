import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CookieIssuer } from '../../dtls/CookieIssuer.ts';
import type { ClientHello } from '../../dtls/helloMessages.ts';

function hello(cookie: Buffer = Buffer.alloc(0)): ClientHello {
  return { version: 0xfefd, random: Buffer.alloc(32, 5), sessionId: Buffer.alloc(0), cookie, cipherSuites: [0xc0a8], compressionMethods: Buffer.from([0]), extensions: new Map() };
}

describe('HelloVerifyRequest cookies', () => {
  it('verifies a cookie returned from the same address with the same ClientHello parameters', () => {
    const cookies = new CookieIssuer(60_000);

    const cookie = cookies.issue('10.0.0.1', 5684, hello());

    expect(cookies.verify('10.0.0.1', 5684, hello(cookie))).toBe(true);
  });

  it('refuses the cookie from another port or address', () => {
    const cookies = new CookieIssuer(60_000);
    const cookie = cookies.issue('10.0.0.1', 5684, hello());

    expect(cookies.verify('10.0.0.1', 5685, hello(cookie))).toBe(false);
    expect(cookies.verify('10.0.0.2', 5684, hello(cookie))).toBe(false);
  });

  it('refuses the cookie when the client changed its random or cipher suites', () => {
    const cookies = new CookieIssuer(60_000);
    const cookie = cookies.issue('10.0.0.1', 5684, hello());

    expect(cookies.verify('10.0.0.1', 5684, { ...hello(cookie), random: Buffer.alloc(32, 6) })).toBe(false);
    expect(cookies.verify('10.0.0.1', 5684, { ...hello(cookie), cipherSuites: [0xc0a8, 0x00ae] })).toBe(false);
  });

  it('refuses random and empty cookies', () => {
    const cookies = new CookieIssuer(60_000);

    expect(cookies.verify('10.0.0.1', 5684, hello(randomBytes(32)))).toBe(false);
    expect(cookies.verify('10.0.0.1', 5684, hello())).toBe(false);
  });

  it('still verifies a cookie one rotation later, but not two', () => {
    let now = 0;
    const cookies = new CookieIssuer(1_000, () => now);
    const cookie = cookies.issue('10.0.0.1', 5684, hello());

    now = 1_500;
    expect(cookies.verify('10.0.0.1', 5684, hello(cookie))).toBe(true);
    now = 2_600;
    expect(cookies.verify('10.0.0.1', 5684, hello(cookie))).toBe(false);
  });
});
