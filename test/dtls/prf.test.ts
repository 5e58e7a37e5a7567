import { describe, expect, it } from 'vitest';
import { expandKeys, finishedVerifyData, masterSecret, prf, pskPremasterSecret } from '../../dtls/prf.ts';

describe('TLS 1.2 key derivation', () => {
  it('produces the published TLS 1.2 PRF (SHA-256) test vector', () => {
    // The widely used vector posted to the IETF TLS list; `openssl kdf TLS1-PRF` agrees.
    const secret = Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex');
    const seed = Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex');

    const output = prf(secret, 'test label', seed, 100);

    expect(output.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('frames a PSK as N zero bytes and the key, each with a 16-bit length (RFC 4279 §2)', () => {
    const premaster = pskPremasterSecret(Buffer.from('abc'));

    expect(premaster.toString('hex')).toBe('0003000000' + '0003' + '616263');
  });

  it('derives the extended master secret from the session hash alone (RFC 7627 §4)', () => {
    const premaster = pskPremasterSecret(Buffer.from('key'));
    const sessionHash = Buffer.alloc(32, 7);

    const extended = masterSecret(premaster, Buffer.alloc(32, 1), Buffer.alloc(32, 2), sessionHash);

    expect(extended).toEqual(prf(premaster, 'extended master secret', sessionHash, 48));
    expect(extended).not.toEqual(masterSecret(premaster, Buffer.alloc(32, 1), Buffer.alloc(32, 2)));
  });

  it('splits the key block into 16-byte keys and 4-byte salts, client first (RFC 5246 §6.3)', () => {
    const master = Buffer.alloc(48, 9);
    const block = prf(master, 'key expansion', Buffer.concat([Buffer.alloc(32, 2), Buffer.alloc(32, 1)]), 40);

    const keys = expandKeys(master, Buffer.alloc(32, 1), Buffer.alloc(32, 2));

    expect(Buffer.concat([keys.clientWriteKey, keys.serverWriteKey, keys.clientWriteIv, keys.serverWriteIv])).toEqual(block);
  });

  it('makes 12 bytes of verify_data that differ between client and server', () => {
    const master = Buffer.alloc(48, 3);
    const hash = Buffer.alloc(32, 4);

    const client = finishedVerifyData(master, 'client', hash);
    const server = finishedVerifyData(master, 'server', hash);

    expect(client).toHaveLength(12);
    expect(client).not.toEqual(server);
  });
});
