/**
 * A device that registers again (after a reboot, from a new port) keeps its registration id, so
 * the devices table's byRegistrationId index (keys only) is not written for it, and an edge task
 * that does not remember the device still resolves the id through that index. Emulators in this
 * process: the index writes are counted as DynamoDB bills them (local/dynaliteIndexCapacity.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { indexWriteUnits, reportIndexWriteCapacity } from '../../local/dynaliteIndexCapacity.ts';
import { DynamoDbRegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import { DEVICES_BY_REGISTRATION_INDEX } from '../../store/schema.ts';
import { RawCoapClient, locationOf } from './rawCoap.ts';

describe('a device that registers again', () => {
  let stack: LocalStack;
  const opened: RawCoapClient[] = [];

  const open = async (): Promise<RawCoapClient> => {
    const raw = await RawCoapClient.open(stack.edge.address.port);
    opened.push(raw);
    return raw;
  };

  /** The units billed to byRegistrationId while `act` ran and its registrations were written. */
  const indexUnitsOf = async (act: () => Promise<unknown>): Promise<number> => {
    const name = `${stack.config.tables.devices}/${DEVICES_BY_REGISTRATION_INDEX}`;
    const before = indexWriteUnits().get(name) ?? 0;
    await act();
    await stack.stores.registrations.flush();
    return (indexWriteUnits().get(name) ?? 0) - before;
  };

  beforeAll(async () => {
    reportIndexWriteCapacity();
    stack = await LocalStack.start({ logLevel: 'silent', emulatorsInProcess: true });
  });

  afterAll(async () => {
    await Promise.all(opened.map((raw) => raw.close()));
    await stack?.stop();
  });

  it('costs the byRegistrationId index one write when it first registers and none when it registers again from a new port', async () => {
    // Prepare
    const before = await open();
    const after = await open();

    // Act
    const first = await indexUnitsOf(() => before.register(['ep=cheap-rebooter', 'lt=300', 'lwm2m=1.1']));
    const again = await indexUnitsOf(() => after.register(['ep=cheap-rebooter', 'lt=300', 'lwm2m=1.1']));

    // Assess
    expect({ first, again }).toEqual({ first: 1, again: 0 });
    const stored = new DynamoDbRegistrationStore(stack.stores.clients.dynamo, stack.config.tables.devices);
    expect(await stored.getWithoutTags('cheap-rebooter')).toMatchObject({ port: after.port });
  });

  it('is found by its kept id through the keys-only index by a store that holds nothing of it, with its whole registration', async () => {
    // Prepare
    const device = await open();
    const location = locationOf(await device.register(['ep=found-by-id', 'lt=300', 'lwm2m=1.1'], '</1/0>,</3/0>,</5/0>,</3303/0>'));
    await stack.stores.registrations.flush();
    const fresh = new DynamoDbRegistrationStore(stack.stores.clients.dynamo, stack.config.tables.devices);

    // Act
    const found = await fresh.findByRegistrationId(location[1]?.toString() ?? '');

    // Assess
    expect(found).toMatchObject({ endpoint: 'found-by-id', port: device.port, objectLinks: ['/1/0', '/3/0', '/5/0', '/3303/0'], lifetimeSeconds: 300 });
  });

  it('gets a new id once its registration expired, and the old id is gone', async () => {
    // Prepare
    const device = await open();
    const first = locationOf(await device.register(['ep=short-again', 'lt=1', 'lwm2m=1.1']));
    const expired = (await stack.stores.registrations.getWithoutTags('short-again'))?.lastSeen ?? 0;
    await stack.stores.registrations.update('short-again', first[1]?.toString() ?? '', { lastSeen: expired - 2_000 });

    // Act
    const second = locationOf(await device.register(['ep=short-again', 'lt=300', 'lwm2m=1.1']));

    // Assess
    expect(second.map(String)).not.toEqual(first.map(String));
    expect((await device.update(first)).code).toBe('4.04');
    expect((await device.update(second)).code).toBe('2.04');
  });
});
