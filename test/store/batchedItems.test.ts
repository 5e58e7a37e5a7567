/**
 * Reads coalesced per event-loop turn (store/BatchedReads.ts) and Registers written behind in
 * batches (store/RegistryWriteBehind.ts), against dynalite: a burst of reads costs a few calls,
 * each caller gets its own item; a burst of Registers costs one BatchWriteItem per 25 devices, and
 * the operator's tags, on items of their own, survive every write. Calls are counted by a
 * middleware on a real client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../store/clients.ts';
import { DynamoDbRegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import { DynamoDbDeviceTagStore } from '../../store/DynamoDbDeviceTagStore.ts';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { CredentialMarkers } from '../../store/credentialMarkers.ts';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { eventually } from '../integration/eventually.ts';

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators.stop();
});

/** Stores on a client of their own (so on batches of their own), and the names of the calls it made. */
function countedStores(holdMs = 60_000): { registrations: DynamoDbRegistrationStore; tags: DynamoDbDeviceTagStore; markers: CredentialMarkers; calls: string[] } {
  const calls: string[] = [];
  const { dynamo } = createAwsClients(emulators.config);
  dynamo.middlewareStack.add(
    (next, context) => (args) => {
      calls.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return {
    // Held until flushed (a minute): the tests decide when the batch goes.
    registrations: new DynamoDbRegistrationStore(dynamo, emulators.config.tables.devices, { holdMs }),
    tags: new DynamoDbDeviceTagStore(dynamo, emulators.config.tables.devices),
    markers: new CredentialMarkers(dynamo, emulators.config.tables.credentials),
    calls,
  };
}

/**
 * A registration store on a client whose first `gatedCalls` calls of one command wait at a gate
 * until released (the calls still go to dynalite), and the number of items or keys each call of
 * that command carried.
 */
function gatedStore(command: 'BatchGetItemCommand' | 'BatchWriteItemCommand', gatedCalls = Number.POSITIVE_INFINITY, partialWaitMs = 60_000): { registrations: DynamoDbRegistrationStore; sizes: number[]; release: () => void } {
  const sizes: number[] = [];
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { dynamo } = createAwsClients(emulators.config);
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      const requestItems = (args.input as { RequestItems: Record<string, unknown[] | { Keys: unknown[] }> }).RequestItems;
      const entry = requestItems[emulators.config.tables.devices];
      sizes.push(Array.isArray(entry) ? entry.length : (entry?.Keys.length ?? 0));
      if (sizes.length <= gatedCalls) await gate;
      return next(args);
    },
    { step: 'initialize', name: 'gateCalls' },
  );
  return { registrations: new DynamoDbRegistrationStore(dynamo, emulators.config.tables.devices, { holdMs: 60_000, partialWaitMs }), sizes, release };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function registration(endpoint: string, port = 5683): DeviceRegistration {
  return {
    endpoint,
    registrationId: `rid-${endpoint}-${port}`,
    address: '127.0.0.1',
    port,
    lifetimeSeconds: 300,
    lwm2mVersion: '1.1',
    binding: 'U',
    queueMode: false,
    objectLinks: ['/3/0', '/5/0'],
    supportedFormats: [],
    ownerTask: 'task-1',
    registeredAt: 1,
    lastSeen: 1,
  };
}

describe('batched registration reads and writes', () => {
  it('writes a burst of 60 Registers with 3 BatchWriteItem calls, answering reads and taking the facts while they are held', async () => {
    // Prepare
    const { registrations, calls } = countedStores();
    const burst = Array.from({ length: 60 }, (_, i) => registration(`burst-${i}`));

    // Act
    await Promise.all(burst.map((device) => registrations.register(device)));
    const held = await registrations.getWithoutTags('burst-7');
    const withTags = await registrations.get('burst-7');
    const byId = await registrations.findByRegistrationId('rid-burst-8-5683');
    // Another registration id is not the one held: the store's own conditional write refuses it.
    const wrongId = await registrations.update('burst-10', 'rid-other', { model: 'SM-999' });
    const merged = await registrations.update('burst-9', 'rid-burst-9-5683', { model: 'SM-200', deviceInfoReadAt: 5 });
    const writesBeforeFlush = calls.filter((call) => call !== 'BatchGetItemCommand');
    await registrations.flush();

    // Assess
    expect([held?.endpoint, withTags?.endpoint, byId?.endpoint, merged, (await registrations.list()).length >= 60]).toEqual(['burst-7', 'burst-7', 'burst-8', true, true]);
    expect(writesBeforeFlush).toEqual(['UpdateItemCommand']);
    expect(wrongId).toBe(false);
    expect(calls.filter((call) => call === 'BatchWriteItemCommand')).toHaveLength(3);
    const stored = await new DynamoDbRegistrationStore(createAwsClients(emulators.config).dynamo, emulators.config.tables.devices).list();
    expect(stored.filter((device) => device.endpoint.startsWith('burst-'))).toHaveLength(60);
    expect(stored.find((device) => device.endpoint === 'burst-9')?.model).toBe('SM-200');
  });

  it('keeps the operator\'s tags through a Register written whole, and moves tags kept on the device item to a tag item before any Put', async () => {
    // Prepare: one device tagged through the tag store, one with tags on its own item (as written before tag items).
    const { registrations, tags } = countedStores();
    await registrations.put({ ...registration('tagged'), model: 'SM-200' });
    expect(await tags.change('tagged', { addGroups: ['north'], setAttributes: { site: 'a' } })).toEqual({ groups: ['north'], attributes: { site: 'a' } });
    const { dynamo } = createAwsClients(emulators.config);
    await dynamo.send(new PutCommand({ TableName: emulators.config.tables.devices, Item: { ...registration('legacy'), groups: ['south'], attributes: {}, tagRevision: 4 } }));

    // Act: both register again, their items written whole.
    for (const endpoint of ['tagged', 'legacy']) {
      await registrations.getWithoutTags(endpoint);
      await registrations.register({ ...registration(endpoint, 2000), groups: ['ignored'] });
    }
    await registrations.flush();

    // Assess
    const fresh = new DynamoDbRegistrationStore(dynamo, emulators.config.tables.devices);
    const [tagged, legacy] = await Promise.all([fresh.get('tagged'), fresh.get('legacy')]);
    expect([tagged?.port, tagged?.model, tagged?.groups, tagged?.attributes]).toEqual([2000, undefined, ['north'], { site: 'a' }]);
    expect([legacy?.port, legacy?.groups, legacy?.tagRevision]).toEqual([2000, ['south'], 4]);
    expect((await fresh.list()).filter((device) => ['tagged', 'legacy'].includes(device.endpoint)).map((device) => device.groups).sort()).toEqual([['north'], ['south']]);
  });

  it('gives up a registration the store never takes after 8 rounds, says so, and holds it no more: its reads and Update go to the store, which lacks it', async () => {
    // Prepare: a table that does not exist, so every BatchWriteItem fails in dynalite.
    const lost: string[] = [];
    const registrations = new DynamoDbRegistrationStore(createAwsClients(emulators.config).dynamo, 'no-such-table', { holdMs: 0, onLost: (registration) => lost.push(registration.endpoint) });

    // Act
    await registrations.register(registration('never-stored'));
    const heldRead = await registrations.getWithoutTags('never-stored');
    await registrations.flush();

    // Assess
    expect(heldRead?.registrationId).toBe('rid-never-stored-5683');
    expect(lost).toEqual(['never-stored']);
    expect(await registrations.findByRegistrationId('rid-never-stored-5683').catch(() => undefined)).toBeUndefined();
    // Not merged into a held registration any more: the store's own write (here refused, no table).
    await expect(registrations.update('never-stored', 'rid-never-stored-5683', { lastSeen: 2 })).rejects.toThrow();
  });

  it('reads registrations and credential markers asked for in one turn with one BatchGetItem, absent items as undefined', async () => {
    // Prepare
    const { registrations, markers, calls } = countedStores();
    await registrations.put(registration('read-known'));
    await markers.addIdentity('read-keyed', 'read-keyed-psk');
    calls.length = 0;

    // Act
    const [known, unknown, keyed, notKeyed] = await Promise.all([
      registrations.get('read-known'),
      registrations.get('read-unknown'),
      markers.hasIdentity('read-keyed'),
      markers.hasIdentity('read-known'),
    ]);

    // Assess
    expect(calls).toEqual(['BatchGetItemCommand']);
    expect(known?.registrationId).toBe('rid-read-known-5683');
    expect(unknown).toBeUndefined();
    expect(keyed).toBe(true);
    expect(notKeyed).toBe(false);
  });

  it('splits a burst of 250 reads (a device item and a tag item each) into BatchGetItem calls of at most 100 keys', async () => {
    // Prepare
    const { registrations, calls } = countedStores();

    // Act
    const read = await Promise.all(Array.from({ length: 250 }, (_, i) => registrations.get(`absent-${i}`)));

    // Assess
    expect(read.every((item) => item === undefined)).toBe(true);
    expect(calls).toEqual(Array.from({ length: 5 }, () => 'BatchGetItemCommand'));
  });

  it('sends a batch of reads that is not full only while no call is out; the end of that call sends the reads that waited, in one call', async () => {
    // Prepare: one read, its own call, held at the gate.
    const { registrations, sizes, release } = gatedStore('BatchGetItemCommand');
    const first = registrations.getWithoutTags('gated-read-1');
    await nextTurn();

    // Act: three more reads, in two turns, while that call is out.
    const waiting = [registrations.getWithoutTags('gated-read-2')];
    await nextTurn();
    waiting.push(registrations.getWithoutTags('gated-read-3'), registrations.getWithoutTags('gated-read-4'));
    await nextTurn();
    const sizesWhileOut = [...sizes];
    release();

    // Assess
    expect(sizesWhileOut).toEqual([1]);
    expect(await Promise.all([first, ...waiting])).toEqual([undefined, undefined, undefined, undefined]);
    expect(sizes).toEqual([1, 3]);
  });

  it('writes a full batch of Registers at once, and holds the rest of a batch while another is being written', async () => {
    // Prepare: 30 Registers whose facts are in go out as 25 and 5 (nothing else being written), held at the gate.
    const { registrations, sizes, release } = gatedStore('BatchWriteItemCommand');
    const facts = (endpoint: string) => registrations.update(endpoint, `rid-${endpoint}-5683`, { deviceInfoReadAt: 1 });
    const first = Array.from({ length: 30 }, (_, i) => `gated-write-${i}`);
    await Promise.all(first.map((endpoint) => registrations.register(registration(endpoint))));
    await Promise.all(first.map(facts));
    await eventually(() => expect(sizes).toEqual([25, 5]), { what: 'the first two batches at the gate' });

    // Act: 40 more with their facts, while those two are being written.
    const more = Array.from({ length: 40 }, (_, i) => `gated-more-${i}`);
    await Promise.all(more.map((endpoint) => registrations.register(registration(endpoint))));
    await Promise.all(more.map(facts));

    // Assess: the full batch goes at once (the rest would have gone with it); the rest when the others end.
    await eventually(() => expect(sizes).toEqual([25, 5, 25]), { what: 'a full third batch, and no partial one' });
    release();
    await registrations.flush();
    expect(sizes).toEqual([25, 5, 25, 15]);
  });

  it('sends reads that wait for a call to end after 20 ms at most, even while the call out hangs', async () => {
    // Prepare: a call that does not end (held at the gate).
    const { registrations, sizes, release } = gatedStore('BatchGetItemCommand', 1);
    const hanging = registrations.getWithoutTags('hung-read-1');
    await nextTurn();

    // Act
    const waiting = await Promise.all([registrations.getWithoutTags('hung-read-2'), registrations.getWithoutTags('hung-read-3')]);

    // Assess: answered while the first still hangs.
    expect(waiting).toEqual([undefined, undefined]);
    expect(sizes).toEqual([1, 2]);
    release();
    expect(await hanging).toBeUndefined();
  });

  it('writes a batch that is not full after its longest wait (200 ms here), even while the batch being written hangs', async () => {
    // Prepare: a full batch that does not end (held at the gate).
    const { registrations, sizes, release } = gatedStore('BatchWriteItemCommand', 1, 200);
    const facts = (endpoint: string) => registrations.update(endpoint, `rid-${endpoint}-5683`, { deviceInfoReadAt: 1 });
    const full = Array.from({ length: 25 }, (_, i) => `hung-write-${i}`);
    await Promise.all(full.map((endpoint) => registrations.register(registration(endpoint))));
    await Promise.all(full.map(facts));
    await eventually(() => expect(sizes).toEqual([25]), { what: 'the full batch at the gate' });

    // Act: five more with their facts.
    const few = Array.from({ length: 5 }, (_, i) => `hung-few-${i}`);
    await Promise.all(few.map((endpoint) => registrations.register(registration(endpoint))));
    await Promise.all(few.map(facts));

    // Assess: the five are written while the first batch still hangs.
    await eventually(() => expect(sizes).toEqual([25, 5]), { what: 'the five written beside the hanging batch' });
    const stored = new DynamoDbRegistrationStore(createAwsClients(emulators.config).dynamo, emulators.config.tables.devices);
    await eventually(async () => expect((await stored.getWithoutTags('hung-few-4'))?.deviceInfoReadAt).toBe(1), { what: 'the five in the table' });
    release();
    await registrations.flush();
  });
});
