/**
 * Reads coalesced per event-loop turn (store/BatchedReads.ts) and the one-write Register, against
 * dynalite: a burst of reads costs a few calls, each caller gets its own item; a Register is one
 * UpdateItem that leaves the operator's tags alone. Calls are counted by a middleware on a real client.
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
  it('writes a registration with one UpdateItem and no read, keeping the tags and dropping the facts it no longer has', async () => {
    // Prepare
    const { registrations, calls } = countedStores();
    await registrations.put({ ...registration('tagged'), model: 'SM-200', groups: ['north'], attributes: { site: 'a' }, tagRevision: 3 });
    calls.length = 0;

    // Act: the device registers again (no model read yet) while its tags stay the operator's.
    await registrations.put({ ...registration('tagged', 2000), groups: ['ignored'] });

    // Assess
    expect(calls).toEqual(['UpdateItemCommand']);
    const stored = await registrations.get('tagged');
    expect([stored?.port, stored?.model, stored?.groups, stored?.attributes, stored?.tagRevision]).toEqual([2000, undefined, ['north'], { site: 'a' }, 3]);
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
});
