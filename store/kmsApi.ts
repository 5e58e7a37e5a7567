import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { KmsApi } from './DeviceCredentialStore.ts';

/** KmsApi on AWS KMS (GenerateDataKey AES_256, Decrypt). */
export function awsKmsApi(region: string): KmsApi {
  const kms = new KMSClient({ region });
  return {
    async generateDataKey(keyId) {
      const result = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
      if (result.Plaintext === undefined || result.CiphertextBlob === undefined) throw new Error('KMS returned no data key');
      return { plaintext: Buffer.from(result.Plaintext), encrypted: Buffer.from(result.CiphertextBlob) };
    },
    async decrypt(encrypted) {
      const result = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted }));
      if (result.Plaintext === undefined) throw new Error('KMS returned no plaintext');
      return Buffer.from(result.Plaintext);
    },
  };
}
