import { afterAll, describe, expect, it } from 'vitest';
import { startEmulators } from '../../local/emulators.ts';
import { mockKms } from './mockKms.ts';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbCredentialStore, KmsEnvelopeProtector, LocalKeyFileProtector, type KeyProtector } from '../../store/DeviceCredentialStore.ts';

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

  describe('a key is bound to its row ({identity, endpoint}: KMS encryption context and GCM additional data)', () => {
    /** The credentials table in dynalite, with raw row access for the attacker's moves. */
    async function table() {
      const emulators = await startEmulators({});
      cleanups.push(() => emulators.stop());
      const client = emulators.stores.clients.dynamo;
      const tableName = emulators.config.tables.credentials;
      const rows = {
        get: async (identity: string) => (await client.send(new GetCommand({ TableName: tableName, Key: { identity }, ConsistentRead: true }))).Item,
        set: async (identity: string, item: Record<string, unknown>) => {
          await client.send(new PutCommand({ TableName: tableName, Item: Object.fromEntries(Object.entries({ ...item, identity }).filter(([, v]) => v !== undefined)) }));
        },
      };
      return { rows, client: client as DynamoDBDocumentClient, tableName };
    }
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups) await cleanup();
    });
    const protectors = async (): Promise<[string, KeyProtector, ReturnType<typeof mockKms> | undefined][]> => {
      const kms = mockKms();
      return [
        ['KMS envelope', new KmsEnvelopeProtector(kms, 'alias/fota-psk'), kms],
        ['local key file', new LocalKeyFileProtector(join(await mkdtemp(join(tmpdir(), 'fota-key-')), 'k')), undefined],
      ];
    };

    it('a ciphertext copied to another identity, or to another endpoint, does not decrypt', async () => {
      for (const [name, protector, kms] of await protectors()) {
        const { rows, client, tableName } = await table();
        const store = new DynamoDbCredentialStore(client, tableName, protector);
        const psk = Buffer.from('meter-0001-secret');
        await store.put({ identity: 'meter-0001', endpoint: 'urn:dev:0001', createdAt: 1 }, psk);
        await store.put({ identity: 'meter-0002', endpoint: 'urn:dev:0002', createdAt: 1 }, Buffer.from('meter-0002-secret'));
        expect(await store.pskFor('meter-0001'), name).toEqual(psk);
        if (kms !== undefined) {
          expect(kms.calls).toContain('GenerateDataKey alias/fota-psk {"identity":"meter-0001","endpoint":"urn:dev:0001"}');
          expect(kms.calls).toContain('Decrypt {"identity":"meter-0001","endpoint":"urn:dev:0001"}');
        }

        // An attacker with write access to the table moves meter-0001's key to meter-0002's row.
        const stolen = (await rows.get('meter-0001'))?.['encryptedKey'];
        await rows.set('meter-0002', { ...(await rows.get('meter-0002')), encryptedKey: stolen });
        await expect(store.pskFor('meter-0002'), name).rejects.toThrow();
        // ...or rebinds meter-0001's row to another endpoint.
        await rows.set('meter-0001', { ...(await rows.get('meter-0001')), endpoint: 'urn:dev:0002' });
        await expect(store.pskFor('meter-0001'), name).rejects.toThrow();
        // ...or strips the version so the row is read without context.
        await rows.set('meter-0001', { ...(await rows.get('meter-0001')), endpoint: 'urn:dev:0001', sealVersion: undefined });
        await expect(store.pskFor('meter-0001'), name).rejects.toThrow();
      }
    });

    it('still reads a row sealed before the binding (no sealVersion), without context; put rewrites it bound', async () => {
      for (const [name, protector] of await protectors()) {
        const { rows, client, tableName } = await table();
        const store = new DynamoDbCredentialStore(client, tableName, protector);
        const psk = Buffer.from('legacy-secret-16');
        await rows.set('old', { identity: 'old', endpoint: 'urn:dev:old', createdAt: 1, keyId: protector.keyId, encryptedKey: (await protector.encrypt(psk)).toString('base64') });
        expect(await store.pskFor('old'), name).toEqual(psk);
        await store.put({ identity: 'old', endpoint: 'urn:dev:old', createdAt: 2 }, psk);
        expect((await rows.get('old'))?.['sealVersion'], name).toBe(2);
        expect(await store.pskFor('old'), name).toEqual(psk);
      }
    });
  });
});
