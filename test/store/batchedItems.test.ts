/**
 * Reads and whole-item writes coalesced per event-loop turn (store/BatchedReads.ts,
 * store/BatchedWrites.ts), against dynalite: a burst costs a few calls, each caller gets its own
 * item, and the latest put of a key wins. The calls are counted by a middleware on a real client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../store/clients.ts';
import { DynamoDbRegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import { CredentialMarkers } from '../../store/credentialMarkers.ts';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators.stop();
});

/** Stores on a client of their own (so on batches of their own), and the names of the calls it made. */
function countedStores(): { registrations: DynamoDbRegistrationStore; markers: CredentialMarkers; calls: string[] } {
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
    registrations: new DynamoDbRegistrationStore(dynamo, emulators.config.tables.devices),
    markers: new CredentialMarkers(dynamo, emulators.config.tables.credentials),
    calls,
  };
}

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
  it('writes 100 registrations put in one turn with 4 BatchWriteItem calls', async () => {
    // Prepare
    const { registrations, calls } = countedStores();
    const devices = Array.from({ length: 100 }, (_, i) => registration(`burst-${i}`));

    // Act
    await Promise.all(devices.map((device) => registrations.put(device)));

    // Assess
    expect(calls).toEqual(['BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand']);
    const stored = await Promise.all(devices.map((device) => registrations.get(device.endpoint)));
    expect(stored.map((item) => item?.registrationId)).toEqual(devices.map((device) => device.registrationId));
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

  it('splits a burst of 250 reads into BatchGetItem calls of at most 100 keys', async () => {
    // Prepare
    const { registrations, calls } = countedStores();

    // Act
    const read = await Promise.all(Array.from({ length: 250 }, (_, i) => registrations.get(`absent-${i}`)));

    // Assess
    expect(read.every((item) => item === undefined)).toBe(true);
    expect(calls).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand', 'BatchGetItemCommand']);
  });

  it('keeps the later of two puts of one endpoint made in the same turn, and answers both', async () => {
    // Prepare
    const { registrations, calls } = countedStores();

    // Act
    await Promise.all([registrations.put(registration('twice', 1000)), registrations.put(registration('twice', 2000))]);

    // Assess
    expect(calls).toEqual(['BatchWriteItemCommand']);
    expect((await registrations.get('twice'))?.port).toBe(2000);
  });

  it('sends a put of an endpoint whose earlier put is on the wire only after it, so the later one wins', async () => {
    // Prepare
    const { registrations } = countedStores();
    const first = registrations.put(registration('in-order', 1000));
    await new Promise((resolve) => setImmediate(resolve)); // the first put's batch is on the wire

    // Act
    const second = registrations.put(registration('in-order', 2000));
    await Promise.all([first, second]);

    // Assess
    expect((await registrations.get('in-order'))?.port).toBe(2000);
  });
});
