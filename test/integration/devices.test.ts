import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import type { DeviceRequest } from '../../core/devices/DeviceRequest.ts';
import { runFota, spawnFota } from './fotaCli.ts';


describe('device management through the REST API, the edge and real UDP', () => {
  let stack: LocalStack;
  let senml: SimulatedDevice;
  let tlv: SimulatedDevice;
  let sleepy: SimulatedDevice;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const operate = async (endpoint: string, operation: Record<string, unknown>, waitSeconds = 10) =>
    (await call('POST', `/devices/${endpoint}/operations`, { operation, waitSeconds })) as { status: number; body: DeviceRequest & Record<string, unknown> };

  beforeAll(async () => {
    // Queue mode's awake window is 93 s by default; 1.5 s keeps the test short while leaving the edge's
    // reaction to an Update (a few store round trips) well inside the window on a busy machine.
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100, queueModeAwakeMs: 1500 });
    const port = stack.edge.address.port;
    senml = new SimulatedDevice({ endpoint: 'flavour-senml-cbor', serverPort: port, lwm2mVersion: '1.1', model: 'TRK-11' });
    tlv = new SimulatedDevice({ endpoint: 'flavour-tlv-only', serverPort: port, lwm2mVersion: '1.0', model: 'MTR-10' });
    sleepy = new SimulatedDevice({ endpoint: 'flavour-queue-mode', serverPort: port, lwm2mVersion: '1.1', queueModeAwakeMs: 1500 });
    await Promise.all([senml.start(), tlv.start(), sleepy.start()]);
  });

  afterAll(async () => {
    await Promise.all([senml?.stop(), tlv?.stop(), sleepy?.stop()]);
    await stack?.stop();
  });

  it('lists the registered devices with their registration and device facts', async () => {
    await expect.poll(async () => ((await call('GET', '/devices/flavour-tlv-only')).body as { model?: string }).model, { timeout: 5000 }).toBe('MTR-10');
    const { status, body } = await call('GET', '/devices');
    expect(status).toBe(200);
    const items = body['items'] as { endpoint: string; lwm2mVersion: string; queueMode: boolean; objectLinks: string[] }[];
    expect(items.map((d) => d.endpoint)).toEqual(['flavour-queue-mode', 'flavour-senml-cbor', 'flavour-tlv-only']);
    expect(items.find((d) => d.endpoint === 'flavour-queue-mode')).toMatchObject({ queueMode: true, objectLinks: ['/1/0', '/3/0', '/5/0'] });
  });

  it('reads /3/0 from a 1.1 client as SenML-CBOR and from a 1.0 client as TLV, decoded alike', async () => {
    const fromSenml = await operate('flavour-senml-cbor', { kind: 'read', path: '/3/0' });
    const fromTlv = await operate('flavour-tlv-only', { kind: 'read', path: '/3/0' });
    expect(fromSenml.body.result).toMatchObject({ code: '2.05', contentFormat: 112, values: { '/3/0/1': 'TRK-11', '/3/0/3': '1.0.0', '/3/0/9': 87 } });
    expect(fromTlv.body.result).toMatchObject({ code: '2.05', contentFormat: 11542, values: { '/3/0/1': 'MTR-10', '/3/0/3': '1.0.0', '/3/0/9': 87 } });
  });

  it('writes a resource and reads the new value back', async () => {
    const write = await operate('flavour-senml-cbor', { kind: 'write', path: '/1/0/1', value: 600 });
    expect(write.body).toMatchObject({ status: 'DONE', result: { code: '2.04' } });
    const read = await operate('flavour-senml-cbor', { kind: 'read', path: '/1/0/1' });
    expect(read.body.result?.values).toEqual({ '/1/0/1': 600 });
  });

  it('discovers the resources of an instance as link format', async () => {
    const discover = await operate('flavour-tlv-only', { kind: 'discover', path: '/5/0' });
    expect(discover.body.result?.linkFormat).toContain('</5/0/3>');
  });

  it('writes attributes as query parameters', async () => {
    const result = await operate('flavour-senml-cbor', { kind: 'writeAttributes', path: '/3/0/9', attributes: { pmin: 10, pmax: 60 } });
    expect(result.body.result?.code).toBe('2.04');
    expect(senml.attributes.get('/3/0/9 pmin')).toBe('10');
  });

  it('records a refusal by the device as a failed request with its code', async () => {
    const execute = await operate('flavour-senml-cbor', { kind: 'execute', path: '/5/0/2' });
    expect(execute.body).toMatchObject({ status: 'FAILED', result: { code: '4.05' } });
  });

  it('holds a command for a sleeping queue-mode device until its next Update, then delivers it', async () => {
    await expect.poll(() => sleepy.asleep, { timeout: 5000 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const queued = await operate('flavour-queue-mode', { kind: 'read', path: '/3/0/3' }, 0);
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('PENDING');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await call('GET', `/requests/${queued.body.requestId}`)).body['status']).toBe('PENDING');

    expect(await sleepy.update()).toBe('2.04');

    await expect.poll(async () => (await call('GET', `/requests/${queued.body.requestId}`)).body['status'], { timeout: 5000 }).toBe('DONE');
    expect(((await call('GET', `/requests/${queued.body.requestId}`)).body['result'] as { values: unknown }).values).toEqual({ '/3/0/3': '1.0.0' });
    expect(sleepy.requestsWhileAsleep).toBe(0);
  });

  it('answers bad requests with 400 naming the field, unknown ids with 404', async () => {
    expect(await call('POST', '/devices/flavour-tlv-only/operations', { operation: { kind: 'read' } })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'operation.path' } } });
    expect(await call('POST', '/devices/flavour-tlv-only/operations', { operation: { kind: 'read', path: '/three' } })).toMatchObject({ status: 400, body: { error: { field: 'operation.path' } } });
    expect((await call('POST', '/devices/flavour-tlv-only/operations', '{not json')).status).toBe(400);
    expect(await call('GET', '/devices/no-such-device')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await call('POST', '/devices/no-such-device/operations', { operation: { kind: 'read', path: '/3/0' } })).status).toBe(404);
    expect((await call('GET', '/requests/nope')).status).toBe(404);
    expect((await call('DELETE', '/devices')).status).toBe(405);
  });

  it('drives the same operations from the fota CLI, and its binary answers an unknown device with exit code 2', async () => {
    const cli = (...args: string[]) => runFota(stack.apiUrl, ...args);
    const list = await cli('--json', 'devices', 'list');
    expect((JSON.parse(list.stdout) as { endpoint: string }[]).map((d) => d.endpoint)).toContain('flavour-tlv-only');
    const read = await cli('devices', 'read', 'flavour-tlv-only', '/3/0/1');
    expect(read.stdout).toMatch(/DONE 2\.05[\s\S]*\/3\/0\/1\s+MTR-10/);
    expect(await spawnFota(stack.apiUrl, {}, ['devices', 'show', 'no-such-device'])).toMatchObject({ code: 2, stderr: expect.stringContaining('NOT_FOUND') });
  });
});
