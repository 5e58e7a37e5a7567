import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { additionalData, type KmsApi } from '../../store/DeviceCredentialStore.ts';

/**
 * MOCK KMS: AWS KMS has no local emulator. This stand-in wraps data keys under its own master
 * key, bound to the encryption context as KMS does (Decrypt fails with another context), so the
 * envelope format and the protector's use of GenerateDataKey/Decrypt are exercised.
 */
export function mockKms(): KmsApi & { calls: string[] } {
  const master = randomBytes(32);
  const calls: string[] = [];
  const described = (context: Readonly<Record<string, string>> | undefined) => (context === undefined ? '' : ` ${JSON.stringify(context)}`);
  return {
    calls,
    async generateDataKey(keyId, context) {
      calls.push(`GenerateDataKey ${keyId}${described(context)}`);
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', master, iv);
      cipher.setAAD(additionalData(context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { plaintext: Buffer.from(plaintext), encrypted: Buffer.concat([iv, cipher.getAuthTag(), body]) };
    },
    async decrypt(encrypted, context) {
      calls.push(`Decrypt${described(context)}`);
      const decipher = createDecipheriv('aes-256-gcm', master, encrypted.subarray(0, 12));
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]);
    },
  };
}
