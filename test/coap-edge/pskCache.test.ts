import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { DynamoDbCredentialStore, KmsEnvelopeProtector } from '../../store/DeviceCredentialStore.ts';
import { PskCache } from '../../coap-edge/credentials/PskCache.ts';
import { mockKms } from '../store/mockKms.ts';

/**
 * The PSK cache in front of the real credential store on dynalite. KMS has no local emulator:
 * the MOCK KMS of test/store/mockKms.ts counts the Decrypt calls a handshake would cost.
 */
describe('PSK cache (DTLS handshakes do not cost a DynamoDB read and a KMS Decrypt each)', () => {
  let emulators: Emulators;
  beforeAll(async () => {
    emulators = await startEmulators({});
  });
  afterAll(async () => {
    await emulators.stop();
  });

  async function fixture(options: { ttlMs?: number; unknownTtlMs?: number; maxEntries?: number } = {}) {
    const kms = mockKms();
    const table = emulators.config.tables.credentials;
    const store = new DynamoDbCredentialStore(emulators.stores.clients.dynamo as DynamoDBDocumentClient, table, new KmsEnvelopeProtector(kms, 'alias/fota-psk'));
    let time = 1_000_000;
    const lookups: string[] = [];
    /** Lookups of these identities wait, after reading, until the test releases them. */
    const held = new Map<string, Promise<void>>();
    const cache = new PskCache({
      lookup: async (identity) => {
        lookups.push(identity);
        const psk = await store.pskFor(identity);
        await held.get(identity);
        return psk;
      },
      now: () => time,
      ...options,
    });
    const decrypts = () => kms.calls.filter((call) => call.startsWith('Decrypt')).length;
    const hold = (identity: string) => {
      let release = () => {};
      held.set(identity, new Promise<void>((resolve) => (release = resolve)));
      return () => {
        held.delete(identity);
        release();
      };
    };
    return { store, cache, lookups, decrypts, hold, advance: (ms: number) => (time += ms) };
  }

  it('serves a known key from memory until its lifetime ends, then reads it again', async () => {
    const { store, cache, decrypts, advance } = await fixture({ ttlMs: 60_000 });
    await store.put({ identity: 'c-meter-1', endpoint: 'urn:dev:c1', createdAt: 1 }, Buffer.from('c-meter-1-secret'));
    for (let i = 0; i < 50; i += 1) expect(await cache.pskFor('c-meter-1')).toEqual(Buffer.from('c-meter-1-secret'));
    expect(decrypts()).toBe(1);
    advance(59_999);
    await cache.pskFor('c-meter-1');
    expect(decrypts()).toBe(1);
    advance(1);
    await cache.pskFor('c-meter-1');
    expect(decrypts()).toBe(2);
  });

  it('concurrent handshakes naming one identity share one lookup', async () => {
    const { store, cache, lookups, decrypts } = await fixture();
    await store.put({ identity: 'c-meter-2', endpoint: 'urn:dev:c2', createdAt: 1 }, Buffer.from('c-meter-2-secret'));
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.pskFor('c-meter-2')));
    expect(new Set(answers.map((psk) => psk?.toString()))).toEqual(new Set(['c-meter-2-secret']));
    expect(lookups).toEqual(['c-meter-2']);
    expect(decrypts()).toBe(1);
  });

  it('a revoked key is not served once forgotten, and a lookup in flight at the revocation is not kept', async () => {
    const { store, cache, lookups, hold } = await fixture();
    await store.put({ identity: 'c-meter-3', endpoint: 'urn:dev:c3', createdAt: 1 }, Buffer.from('c-meter-3-secret'));
    expect(await cache.pskFor('c-meter-3')).toBeDefined();
    await store.put({ identity: 'c-meter-4', endpoint: 'urn:dev:c4', createdAt: 1 }, Buffer.from('c-meter-4-secret'));
    const release = hold('c-meter-4');
    const inFlight = cache.pskFor('c-meter-4');
    expect(await store.remove('c-meter-3')).toBe(true);
    expect(await store.remove('c-meter-4')).toBe(true);
    cache.forget('c-meter-3');
    cache.forget('c-meter-4');
    release();
    expect(await inFlight).toEqual(Buffer.from('c-meter-4-secret'));
    expect(await cache.pskFor('c-meter-3')).toBeUndefined();
    expect(await cache.pskFor('c-meter-4')).toBeUndefined();
    expect(lookups).toEqual(['c-meter-3', 'c-meter-4', 'c-meter-3', 'c-meter-4']);
  });

  it('an unknown identity is remembered briefly only: a device provisioned a moment later gets in', async () => {
    const { store, cache, lookups, advance } = await fixture({ unknownTtlMs: 2_000 });
    for (let i = 0; i < 10; i += 1) expect(await cache.pskFor('c-late')).toBeUndefined();
    expect(lookups).toEqual(['c-late']);
    await store.put({ identity: 'c-late', endpoint: 'urn:dev:late', createdAt: 1 }, Buffer.from('c-late-secret-16'));
    advance(2_000);
    expect(await cache.pskFor('c-late')).toEqual(Buffer.from('c-late-secret-16'));
  });

  it('holds at most maxEntries identities, dropping the least recently used', async () => {
    const { cache, lookups } = await fixture({ maxEntries: 3 });
    for (const identity of ['a', 'b', 'c']) await cache.pskFor(identity);
    await cache.pskFor('a');
    await cache.pskFor('d');
    expect(cache.size).toBe(3);
    lookups.length = 0;
    for (const identity of ['a', 'c', 'd']) await cache.pskFor(identity);
    expect(lookups).toEqual([]);
    await cache.pskFor('b');
    expect(lookups).toEqual(['b']);
  });

  it('forgetAll empties it (revocations were missed)', async () => {
    const { cache, lookups } = await fixture();
    await cache.pskFor('x');
    cache.forgetAll();
    expect(cache.size).toBe(0);
    await cache.pskFor('x');
    expect(lookups).toEqual(['x', 'x']);
  });
});
