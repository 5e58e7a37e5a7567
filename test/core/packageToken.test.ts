import { describe, expect, it } from 'vitest';
import { MAX_KEYED_TOKEN_LENGTH, packageTokenFields, packageTokenOf, parseKeyedToken } from '../../core/jobs/packageToken.ts';
import { jobKeyFor } from '../../core/jobs/FirmwareJob.ts';

const SECRET = 'c2VjcmV0LXNlY3Jl';
const CAMPAIGN = '0b6c3f1e-0000-4000-8000-000000000000';
const BASE = 'coaps://fota-edge.eu-west-1.example.com:5684/fw/';

describe('Package URI tokens', () => {
  it('carries the job key beside the secret, and reads both back', () => {
    const key = { campaignId: CAMPAIGN, jobKey: jobKeyFor(3, 'urn:imei:490154203237518') };
    const fields = packageTokenFields(key, SECRET);

    const token = packageTokenOf({ ...key, ...fields });

    expect(fields).toEqual({ packageSecret: SECRET });
    expect(parseKeyedToken(token)).toEqual({ ...key, secret: SECRET });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('falls back to an indexed token when the key would not fit in a Package URI of 255 bytes', () => {
    const key = { campaignId: CAMPAIGN, jobKey: jobKeyFor(0, `meter-${'x'.repeat(200)}`) };

    const fields = packageTokenFields(key, SECRET);

    expect(fields).toEqual({ downloadToken: SECRET });
    expect(packageTokenOf({ ...key, ...fields })).toBe(SECRET);
    expect(parseKeyedToken(SECRET)).toBeUndefined();
  });

  it('keeps every keyed token, with a 50-byte edge address before it, within the 255 bytes of /5/0/1', () => {
    for (let length = 1; length < 300; length++) {
      const key = { campaignId: CAMPAIGN, jobKey: jobKeyFor(0, 'e'.repeat(length)) };
      const token = packageTokenOf({ ...key, ...packageTokenFields(key, SECRET) });
      expect(token.length <= MAX_KEYED_TOKEN_LENGTH || token === SECRET).toBe(true);
      expect(Buffer.byteLength(BASE + token)).toBeLessThanOrEqual(255);
    }
  });

  it('reads no key from a token whose key part is not a campaign and a job key', () => {
    expect(parseKeyedToken(`${SECRET}.${Buffer.from('no-newline').toString('base64url')}`)).toBeUndefined();
    expect(parseKeyedToken(`${SECRET}.${Buffer.from('\nkey').toString('base64url')}`)).toBeUndefined();
  });
});
