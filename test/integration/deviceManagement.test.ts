import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { LocalEventPublisher } from '../../store/events.ts';
import type { DeviceRequest } from '../../core/devices/DeviceRequest.ts';
import type { TelemetrySample } from '../../core/devices/Telemetry.ts';
import { ContentFormat } from '../../core/lwm2m/ContentFormat.ts';
import { RawCoapClient, uriPath } from './rawCoap.ts';
import { runFota, spawnFota } from './fotaCli.ts';


describe('Device Management and Information Reporting over real UDP', () => {
  let stack: LocalStack;
  let thermo: SimulatedDevice;
  let modern: SimulatedDevice;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const operate = async (endpoint: string, operation: Record<string, unknown>) =>
    (await call('POST', `/devices/${endpoint}/operations`, { operation, waitSeconds: 10 })) as { status: number; body: DeviceRequest & Record<string, unknown> };
  const telemetry = async (endpoint: string) => ((await call('GET', `/devices/${endpoint}/telemetry?limit=50`)).body['items'] ?? []) as TelemetrySample[];
  const events = () => (stack.stores.events as LocalEventPublisher).events;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100 });
    const port = stack.edge.address.port;
    thermo = new SimulatedDevice({ endpoint: 'dm-thermo', serverPort: port, lwm2mVersion: '1.1', temperatureSensors: 2 });
    modern = new SimulatedDevice({ endpoint: 'dm-lwm2m-12', serverPort: port, lwm2mVersion: '1.2', model: 'NEW-12' });
    await Promise.all([thermo.start(), modern.start()]);
  });

  afterAll(async () => {
    await Promise.all([thermo?.stop(), modern?.stop()]);
    await stack?.stop();
  });

  it('creates an instance with the id it names (SenML), and one whose id the device picks (TLV)', async () => {
    const named = await operate('dm-thermo', { kind: 'create', path: '/3303', instanceId: 5, values: { 5700: 18.5, 5750: 'boiler' } });
    const picked = await operate('dm-thermo', { kind: 'create', path: '/3303', values: { 5700: '19' } });

    expect(named.body).toMatchObject({ status: 'DONE', result: { code: '2.01', location: '/3303/5' } });
    expect(picked.body).toMatchObject({ status: 'DONE', result: { code: '2.01', location: '/3303/2' } });
    expect(thermo.objects.temperatures.get(5)?.get(5750)).toBe('boiler');
    expect((await operate('dm-thermo', { kind: 'read', path: '/3303/2/5700' })).body.result?.values).toEqual({ '/3303/2/5700': 19 });
  });

  it('refuses a Create the device cannot honour (the instance exists) as a failed request with its code', async () => {
    const again = await operate('dm-thermo', { kind: 'create', path: '/3303', instanceId: 5, values: { 5700: 1 } });
    expect(again.body).toMatchObject({ status: 'FAILED', result: { code: '4.00' } });
  });

  it('deletes an instance, and answers a second Delete of it with 4.04', async () => {
    expect((await operate('dm-thermo', { kind: 'delete', path: '/3303/2' })).body).toMatchObject({ status: 'DONE', result: { code: '2.02' } });
    expect((await operate('dm-thermo', { kind: 'delete', path: '/3303/2' })).body).toMatchObject({ status: 'FAILED', result: { code: '4.04' } });
    expect(thermo.objects.temperatures.has(2)).toBe(false);
  });

  it('writes part of an instance with POST and leaves its other resources as they were', async () => {
    const partial = await operate('dm-thermo', { kind: 'writeInstance', path: '/3303/0', values: { 5750: 'hall' } });
    const read = await operate('dm-thermo', { kind: 'read', path: '/3303/0' });
    const readOnly = await operate('dm-thermo', { kind: 'writeInstance', path: '/3303/0', values: { 5700: 99 } });

    expect(partial.body).toMatchObject({ status: 'DONE', result: { code: '2.04' } });
    expect(read.body.result?.values).toMatchObject({ '/3303/0/5700': 20, '/3303/0/5701': 'Cel', '/3303/0/5750': 'hall' });
    expect(readOnly.body).toMatchObject({ status: 'FAILED', result: { code: '4.05' } });
  });

  it('executes with arguments that reach the device, and refuses malformed arguments before sending', async () => {
    const executed = await operate('dm-thermo', { kind: 'execute', path: '/3303/0/5605', args: "0='after-service',1" });
    const malformed = await call('POST', '/devices/dm-thermo/operations', { operation: { kind: 'execute', path: '/3303/0/5605', args: 'zero' } });

    expect(executed.body).toMatchObject({ status: 'DONE', result: { code: '2.04' } });
    expect(thermo.objects.executions).toContainEqual({ path: '/3303/0/5605', args: "0='after-service',1" });
    expect(malformed).toMatchObject({ status: 400, body: { error: { field: 'operation.args' } } });
  });

  it('reads several paths with one Read-Composite (FETCH, SenML)', async () => {
    const result = await operate('dm-thermo', { kind: 'readComposite', paths: ['/3/0/9', '/3303/0/5700', '/3303/1'] });
    expect(result.body.result).toMatchObject({ code: '2.05', contentFormat: ContentFormat.SENML_CBOR });
    expect(result.body.result?.values).toMatchObject({ '/3/0/9': 87, '/3303/0/5700': 20, '/3303/1/5700': 21, '/3303/1/5701': 'Cel' });
  });

  it('writes resources of two objects with one Write-Composite (iPATCH)', async () => {
    const result = await operate('dm-thermo', { kind: 'writeComposite', values: { '/3303/1/5750': 'kitchen', '/1/0/1': 900 } });
    expect(result.body).toMatchObject({ status: 'DONE', result: { code: '2.04' } });
    expect(thermo.objects.temperatures.get(1)?.get(5750)).toBe('kitchen');
    expect(thermo.writes).toContainEqual({ path: '/1/0/1', value: '900' });
  });

  it('stores every notification of an observation as telemetry and publishes it as an event', async () => {
    const observed = await operate('dm-thermo', { kind: 'observe', path: '/3303/0/5700' });
    expect(observed.body).toMatchObject({ status: 'DONE', result: { code: '2.05', values: { '/3303/0/5700': 20 } } });

    thermo.objects.setTemperature(0, 23.5);

    await expect.poll(async () => (await telemetry('dm-thermo')).find((s) => s.path === '/3303/0/5700')?.value, { timeout: 5000 }).toBe(23.5);
    expect((await telemetry('dm-thermo'))[0]).toMatchObject({ endpoint: 'dm-thermo', source: 'NOTIFICATION' });
    expect(events()).toContainEqual(expect.objectContaining({ type: 'lwm2m.notification', detail: { endpoint: 'dm-thermo', values: [expect.objectContaining({ path: '/3303/0/5700', value: 23.5 })] } }));
  });

  it('cancels an observation with a GET carrying Observe 1: the device stops notifying', async () => {
    const cancelled = await operate('dm-thermo', { kind: 'cancelObservation', path: '/3303/0/5700' });
    expect(cancelled.body).toMatchObject({ status: 'DONE', result: { code: '2.05' } });
    await expect.poll(() => thermo.objects.observations, { timeout: 3000 }).not.toContainEqual(['/3303/0/5700']);

    thermo.objects.setTemperature(0, 30);
    await settle();

    expect((await telemetry('dm-thermo')).map((s) => s.value)).not.toContain(30);
    expect((await operate('dm-thermo', { kind: 'cancelObservation', path: '/3303/0/5700' })).body.result?.code).toBe('4.04');
  });

  it('observes several paths as one Observe-Composite, and after its cancellation answers the next notification with RST, which ends it on the device', async () => {
    // Prepare
    const observed = await operate('dm-thermo', { kind: 'observeComposite', paths: ['/3303/1/5700', '/3/0/9'] });
    expect(observed.body.result?.values).toMatchObject({ '/3303/1/5700': 21, '/3/0/9': 87 });
    thermo.objects.setTemperature(1, 24);
    await expect.poll(async () => (await telemetry('dm-thermo')).filter((s) => s.path === '/3303/1/5700').map((s) => s.value), { timeout: 5000 }).toContain(24);

    // Act: the edge forgets it at once; the device learns on its next notification (RFC 7641 §3.6).
    const cancelled = await operate('dm-thermo', { kind: 'cancelObservationComposite', paths: ['/3/0/9', '/3303/1/5700'] });
    expect(thermo.objects.observations).toContainEqual(['/3303/1/5700', '/3/0/9']);
    thermo.objects.setTemperature(1, 25);

    // Assess
    expect(cancelled.body.result?.code).toBe('2.05');
    await expect.poll(() => thermo.objects.observations, { timeout: 3000 }).not.toContainEqual(['/3303/1/5700', '/3/0/9']);
    expect((await telemetry('dm-thermo')).filter((s) => s.path === '/3303/1/5700').map((s) => s.value)).not.toContain(25);
  });

  it('drops an observation the device ends with an error notification (its instance was deleted)', async () => {
    await operate('dm-thermo', { kind: 'observe', path: '/3303/5/5700' });
    expect(stack.edge.observations('dm-thermo')).toContainEqual(['/3303/5/5700']);

    await operate('dm-thermo', { kind: 'delete', path: '/3303/5' });

    await expect.poll(() => stack.edge.observations('dm-thermo'), { timeout: 3000 }).not.toContainEqual(['/3303/5/5700']);
  });

  it('stores a Send in SenML CBOR and in SenML JSON as telemetry, latest first, and publishes it', async () => {
    thermo.objects.setTemperature(0, 17.25);
    expect(await thermo.sendData(['/3303/0/5700', '/3/0/9'])).toBe('2.04');
    await settle();
    expect(await thermo.sendData(['/3/0/3'], ContentFormat.SENML_JSON)).toBe('2.04');

    const items = await telemetry('dm-thermo');
    expect(items[0]).toMatchObject({ path: '/3/0/3', value: '1.0.0', source: 'SEND' });
    expect(items).toContainEqual(expect.objectContaining({ path: '/3303/0/5700', value: 17.25, source: 'SEND' }));
    expect(items.map((s) => s.at)).toEqual([...items.map((s) => s.at)].sort((a, b) => b - a));
    expect(events().filter((e) => e.type === 'lwm2m.send')).toHaveLength(2);
  });

  it('answers a Send in another format with 4.15 and a Send from an address with no registration with 4.04', async () => {
    expect(await thermo.sendPayload(Buffer.from('87'), ContentFormat.TEXT)).toBe('4.15');
    const stranger = await RawCoapClient.open(stack.edge.address.port);
    try {
      const reply = await stranger.exchange({ code: 'POST', options: [uriPath('dp'), { name: 'Content-Format', value: Buffer.from([110]) }], payload: Buffer.from('[{"n":"/3/0/9","v":1}]') });
      expect(reply.code).toBe('4.04');
    } finally {
      await stranger.close();
    }
  });

  it('reads a LwM2M 1.2 device in LwM2M CBOR when it announced the format', async () => {
    const read = await operate('dm-lwm2m-12', { kind: 'read', path: '/3/0' });
    expect(read.body.result).toMatchObject({ code: '2.05', contentFormat: ContentFormat.LWM2M_CBOR, values: { '/3/0/1': 'NEW-12', '/3/0/9': 87 } });
  });

  it('drives create, write-attributes, read-composite, cancel-observe, telemetry and delete from the fota CLI', async () => {
    const cli = (...args: string[]) => runFota(stack.apiUrl, ...args);
    const [created, attributes, composite, telemetryTable] = await Promise.all([
      cli('devices', 'create', 'dm-thermo', '/3303', '5700=16.5', '5750=garage', '--instance', '7'),
      cli('devices', 'write-attributes', 'dm-thermo', '/3303/0/5700', '--pmin', '5', '--pmax', '60'),
      cli('--json', 'devices', 'read-composite', 'dm-thermo', '/3/0/9', '/3303/1/5750'),
      // The real binary once (test/integration/fotaCli.ts).
      spawnFota(stack.apiUrl, {}, ['devices', 'telemetry', 'dm-thermo', '--limit', '3']),
    ]);
    const [cancel, deleted] = await Promise.all([
      cli('devices', 'cancel-observe', 'dm-thermo', '/3/0/13'),
      cli('devices', 'delete', 'dm-thermo', '/3303/7'),
    ]);

    expect(created.stdout).toMatch(/DONE 2\.01[\s\S]*created \/3303\/7/);
    expect(attributes.stdout).toMatch(/DONE 2\.04/);
    expect(thermo.attributes.get('/3303/0/5700 pmin')).toBe('5');
    expect((JSON.parse(composite.stdout) as DeviceRequest).result?.values).toEqual({ '/3/0/9': 87, '/3303/1/5750': 'kitchen' });
    expect(telemetryTable.stdout).toMatch(/\/3\/0\/3\s+1\.0\.0\s+SEND/);
    expect(cancel).toMatchObject({ code: 1, stdout: expect.stringMatching(/FAILED 4\.04/) });
    expect(deleted.stdout).toMatch(/DONE 2\.02/);
  });
});
