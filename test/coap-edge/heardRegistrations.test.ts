/**
 * The registry as one edge task sees it (coap-edge/registration/HeardRegistrations.ts), against
 * dynalite: the registration of a device the task heard from (a Register here) in the last
 * `rememberMs`, with the task's own writes, answers its reads without a read of the store, while
 * the task owns it; older copies, copies the store names another owner in, and copies a
 * conditional write found stale are read again; `stored` always reads the store. Calls are
 * counted by a middleware on a real client; the clock is injected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../store/clients.ts';
import { DynamoDbRegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { HeardRegistrations } from '../../coap-edge/registration/HeardRegistrations.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';

const T0 = Date.UTC(2026, 11, 7, 12);
const REMEMBER_MS = 30_000;

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators.stop();
});

function registration(endpoint: string, registrationId: string, ownerTask = 'task-a'): DeviceRegistration {
  return {
    endpoint, registrationId, address: '10.0.0.1', port: 5683, lifetimeSeconds: 300, lwm2mVersion: '1.1', binding: 'U', queueMode: false,
    objectLinks: ['/3/0', '/5/0'], supportedFormats: [], ownerTask, registeredAt: T0, lastSeen: T0,
  };
}

/** A task's view over a store on a client of its own whose reads are counted, and another process's store of the same table. */
function taskView(): { heard: HeardRegistrations; reads: () => number; elsewhere: DynamoDbRegistrationStore; clock: { now: number } } {
  let reads = 0;
  const { dynamo } = createAwsClients(emulators.config);
  dynamo.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'BatchGetItemCommand' || context.commandName === 'GetItemCommand') reads++;
      return next(args);
    },
    { step: 'initialize', name: 'countReads' },
  );
  const clock = { now: T0 };
  const store = new DynamoDbRegistrationStore(dynamo, emulators.config.tables.devices, { holdMs: 0 });
  return {
    heard: new HeardRegistrations(store, { taskId: 'task-a', rememberMs: REMEMBER_MS, clock: () => clock.now }),
    reads: () => reads,
    elsewhere: new DynamoDbRegistrationStore(createAwsClients(emulators.config).dynamo, emulators.config.tables.devices),
    clock,
  };
}

describe('the registry as an edge task sees it', () => {
  it('answers reads of a registration it registered, with its own later writes, without reading the store', async () => {
    // Prepare
    const { heard, reads } = taskView();
    await heard.register(registration('heard-1', 'rid-heard-1'));
    await heard.flush();
    await heard.update('heard-1', 'rid-heard-1', { negotiatedFormat: 112 });
    const before = reads();

    // Act
    const seen = await Promise.all([heard.getWithoutTags('heard-1'), heard.getWithoutTags('heard-1'), heard.getWithoutTags('heard-1')]);

    // Assess
    expect(reads() - before).toBe(0);
    expect(seen.map((device) => device?.negotiatedFormat)).toEqual([112, 112, 112]);
  });

  it('reads the store again once rememberMs passed since it heard the device, and sees another task\'s write', async () => {
    // Prepare
    const { heard, reads, elsewhere, clock } = taskView();
    await heard.register(registration('heard-2', 'rid-heard-2'));
    await heard.flush();
    await elsewhere.update('heard-2', 'rid-heard-2', { ownerTask: 'task-b' });
    clock.now = T0 + REMEMBER_MS - 1;
    const remembered = await heard.getWithoutTags('heard-2');
    const before = reads();

    // Act
    clock.now = T0 + REMEMBER_MS + 1;
    const read = await heard.getWithoutTags('heard-2');

    // Assess
    expect(remembered?.ownerTask).toBe('task-a');
    expect(reads() - before).toBe(1);
    expect(read?.ownerTask).toBe('task-b');
  });

  it('reads the store for a device it heard once the store names another task the owner: ownership is the store\'s word', async () => {
    // Prepare
    const { heard, reads, elsewhere } = taskView();
    await heard.register(registration('heard-6', 'rid-heard-6'));
    await heard.flush();
    await elsewhere.update('heard-6', 'rid-heard-6', { ownerTask: 'task-b' });
    await heard.stored('heard-6');
    await elsewhere.update('heard-6', 'rid-heard-6', { ownerTask: 'task-a', negotiatedFormat: 11542 });
    const before = reads();

    // Act
    const read = await heard.getWithoutTags('heard-6');

    // Assess
    expect(reads() - before).toBe(1);
    expect(read).toMatchObject({ ownerTask: 'task-a', negotiatedFormat: 11542 });
  });

  it('reads the store every time for a device it did not hear from', async () => {
    // Prepare
    const { heard, reads, elsewhere } = taskView();
    await elsewhere.put(registration('heard-7', 'rid-heard-7'));
    const before = reads();

    // Act
    await heard.getWithoutTags('heard-7');
    await heard.getWithoutTags('heard-7');

    // Assess
    expect(reads() - before).toBe(2);
  });

  it('forgets its copy when a conditional write finds another registration of the device', async () => {
    // Prepare
    const { heard, elsewhere } = taskView();
    await heard.register(registration('heard-3', 'rid-heard-3-old'));
    await heard.flush();
    await elsewhere.put(registration('heard-3', 'rid-heard-3-new', 'task-b'));

    // Act
    const applied = await heard.update('heard-3', 'rid-heard-3-old', { negotiatedFormat: 11542 });
    const read = await heard.getWithoutTags('heard-3');

    // Assess
    expect(applied).toBe(false);
    expect(read).toMatchObject({ registrationId: 'rid-heard-3-new', ownerTask: 'task-b' });
  });

  it('reads the stored registration for a Register whatever it remembers', async () => {
    // Prepare
    const { heard, reads, elsewhere } = taskView();
    await heard.register(registration('heard-4', 'rid-heard-4'));
    await heard.flush();
    await elsewhere.update('heard-4', 'rid-heard-4', { pskIdentity: 'heard-4-identity' });
    const before = reads();

    // Act
    const stored = await heard.stored('heard-4');

    // Assess
    expect(reads() - before).toBe(1);
    expect(stored?.pskIdentity).toBe('heard-4-identity');
  });

  it('forgets a registration it removed', async () => {
    // Prepare
    const { heard } = taskView();
    await heard.register(registration('heard-5', 'rid-heard-5'));
    await heard.flush();

    // Act
    const removed = await heard.remove('heard-5', 'rid-heard-5');

    // Assess
    expect(removed).toBe(true);
    expect(await heard.getWithoutTags('heard-5')).toBeUndefined();
  });
});
