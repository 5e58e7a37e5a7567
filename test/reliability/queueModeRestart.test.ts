import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { Edge } from '../../coap-edge/Edge.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import type { DeviceRequest } from '../../core/devices/DeviceRequest.ts';

describe('queue mode across an edge restart', () => {
  let stack: LocalStack;
  let sleepy: SimulatedDevice;
  let successor: Edge | undefined;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as DeviceRequest & Record<string, unknown> };
  };

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100, queueModeAwakeMs: 400 });
    sleepy = new SimulatedDevice({ endpoint: 'restart-sleeper', serverPort: stack.edge.address.port, lwm2mVersion: '1.1', queueModeAwakeMs: 400 });
    await sleepy.start();
  });

  afterAll(async () => {
    await sleepy?.stop();
    await successor?.stop();
    await stack?.stop();
  });

  it('answers a request held for a sleeping device after the edge that held it was replaced by a new task', async () => {
    // Prepare: the device sleeps, its edge task goes away, a request waits in the store.
    await expect.poll(() => sleepy.asleep, { timeout: 5000 }).toBe(true);
    const port = stack.edge.address.port;
    await stack.edge.stop();
    const queued = await call('POST', '/devices/restart-sleeper/operations', { operation: { kind: 'read', path: '/3/0/3' }, waitSeconds: 0 });
    expect(queued).toMatchObject({ status: 202, body: { status: 'PENDING', ownerTask: 'local-edge-1' } });

    // Act: a new task on the same address, built like the local stack builds its edge; the
    // device wakes up with an Update.
    successor = new Edge({ stores: stack.stores, taskId: 'local-edge-2', port, jobPollIntervalMs: 100, queueModeAwakeMs: 400, logger: createLogger('edge', 'silent') });
    await successor.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await call('GET', `/requests/${queued.body.requestId}`)).body.status).toBe('PENDING');
    expect(await sleepy.update()).toBe('2.04');

    // Assess
    await expect.poll(async () => (await call('GET', `/requests/${queued.body.requestId}`)).body.status, { timeout: 5000 }).toBe('DONE');
    const answered = (await call('GET', `/requests/${queued.body.requestId}`)).body;
    expect(answered).toMatchObject({ ownerTask: 'local-edge-2', result: { code: '2.05', values: { '/3/0/3': '1.0.0' } } });
    expect(await stack.stores.registrations.get('restart-sleeper')).toMatchObject({ ownerTask: 'local-edge-2' });
    expect(sleepy.requestsWhileAsleep).toBe(0);
  });
});
