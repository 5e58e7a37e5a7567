import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { KmsApi } from './DeviceCredentialStore.ts';

/** KmsApi on AWS KMS (GenerateDataKey AES_256, Decrypt), with the encryption context when given. */
export function awsKmsApi(region: string): KmsApi {
  const kms = new KMSClient({ region });
  return {
    async generateDataKey(keyId, context) {
      const result = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', ...(context === undefined ? {} : { EncryptionContext: { ...context } }) }));
      if (result.Plaintext === undefined || result.CiphertextBlob === undefined) throw new Error('KMS returned no data key');
      return { plaintext: Buffer.from(result.Plaintext), encrypted: Buffer.from(result.CiphertextBlob) };
    },
    async decrypt(encrypted, context) {
      const result = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted, ...(context === undefined ? {} : { EncryptionContext: { ...context } }) }));
      if (result.Plaintext === undefined) throw new Error('KMS returned no plaintext');
      return Buffer.from(result.Plaintext);
    },
  };
}
