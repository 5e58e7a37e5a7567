import { describe, expect, it } from 'vitest';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KmsEnvelopeProtector, LocalKeyFileProtector, type KmsApi } from '../../store/DeviceCredentialStore.ts';

/**
 * MOCK KMS: AWS KMS has no local emulator. This stand-in wraps data keys under its own master
 * key, so the envelope format and the protector's use of GenerateDataKey/Decrypt are exercised.
 */
function mockKms(): KmsApi & { calls: string[] } {
  const master = randomBytes(32);
  const calls: string[] = [];
  return {
    calls,
    async generateDataKey(keyId) {
      calls.push(`GenerateDataKey ${keyId}`);
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', master, iv);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { plaintext: Buffer.from(plaintext), encrypted: Buffer.concat([iv, cipher.getAuthTag(), body]) };
    },
    async decrypt(encrypted) {
      calls.push('Decrypt');
      const decipher = createDecipheriv('aes-256-gcm', master, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]);
    },
  };
}

describe('protection of device keys at rest', () => {
  it('seals a PSK with a KMS data key and opens it again, the master key never leaving KMS', async () => {
    const kms = mockKms();
    const protector = new KmsEnvelopeProtector(kms, 'alias/fota-psk');
    const psk = Buffer.from('secretPSK-meter!');
    const sealed = await protector.encrypt(psk);
    expect(sealed.includes(psk)).toBe(false);
    expect(await protector.decrypt(sealed)).toEqual(psk);
    expect(kms.calls).toEqual(['GenerateDataKey alias/fota-psk', 'Decrypt']);
    expect(protector.keyId).toBe('kms:alias/fota-psk');
  });

  it('refuses a sealed key that was tampered with', async () => {
    const protector = new KmsEnvelopeProtector(mockKms(), 'k');
    const sealed = await protector.encrypt(Buffer.from('0123456789abcdef'));
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    await expect(protector.decrypt(sealed)).rejects.toThrow();
  });

  it('creates the local key file once, readable by its owner only, and reuses it', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'fota-key-')), 'nested', 'credentials.key');
    const first = new LocalKeyFileProtector(path);
    const sealed = await first.encrypt(Buffer.from('a device key'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path)).length).toBe(32);
    expect(await new LocalKeyFileProtector(path).decrypt(sealed)).toEqual(Buffer.from('a device key'));
  });
});
