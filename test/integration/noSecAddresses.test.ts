/**
 * NoSec hygiene through the running edge: with plain CoAP a device is only an address and port.
 * A device that let its port go (it slept, it rebooted) may find another process there; once that
 * process registers as another endpoint, nothing is sent to the address for the first device until
 * the first device speaks again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedPacket } from 'coap-packet';
import { LocalStack } from '../../local/LocalStack.ts';
import { RawCoapClient, locationOf } from './rawCoap.ts';

describe('an address another endpoint registered from (NoSec)', () => {
  let stack: LocalStack;
  const opened: RawCoapClient[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const read = async (endpoint: string, path: string) => String((await call('POST', `/devices/${endpoint}/operations`, { operation: { kind: 'read', path }, waitSeconds: 0 })).body['requestId']);
  const statusOf = async (requestId: string) => (await call('GET', `/requests/${requestId}`)).body['status'];
  const open = async (localPort = 0) => {
    const client = await RawCoapClient.open(stack.edge.address.port, localPort);
    opened.push(client);
    return client;
  };
  const asked = (client: RawCoapClient, objectId: string) => client.requestsReceived.some((request: ParsedPacket) => request.options.some((o) => o.name === 'Uri-Path' && o.value.toString() === objectId));

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100 });
  });

  afterAll(async () => {
    for (const client of opened) await client.close().catch(() => undefined);
    await stack?.stop();
  });

  it('sends nothing for a device to its old address once another endpoint registered from it, and resumes when the device speaks again', async () => {
    // Prepare: device A registers, then lets its port go; a new process takes it and registers as B.
    const deviceA = await open();
    const location = locationOf(await deviceA.register(['ep=nosec-a', 'lt=300', 'lwm2m=1.1', 'b=U']));
    const port = deviceA.port;
    await deviceA.close();
    const processB = await open(port);
    expect((await processB.register(['ep=nosec-b', 'lt=300', 'lwm2m=1.1', 'b=U'])).code).toBe('2.01');
    await expect.poll(async () => (await stack.stores.registrations.get('nosec-a'))?.addressTakenAt, { timeout: 5000 }).toBeDefined();

    // Act: a Read for A is queued first, then one for B; B's is answered (4.04) by the new process.
    const forA = await read('nosec-a', '/3303/0/5700');
    const forB = await read('nosec-b', '/3304/0/5700');
    await expect.poll(() => statusOf(forB), { timeout: 5000 }).toBe('FAILED');

    // Assess: A's Read never reached the address, and waits.
    expect(asked(processB, '3304')).toBe(true);
    expect(asked(processB, '3303')).toBe(false);
    expect(await statusOf(forA)).toBe('PENDING');

    // A speaks again (an Update from its new port): its Read goes there.
    const deviceAAgain = await open();
    expect((await deviceAAgain.update(location)).code).toBe('2.04');
    await expect.poll(() => statusOf(forA), { timeout: 5000 }).toBe('FAILED');
    expect(asked(deviceAAgain, '3303')).toBe(true);
    expect(asked(processB, '3303')).toBe(false);
  });
});
