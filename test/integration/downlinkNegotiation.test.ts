import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LocalStack } from '../../local/LocalStack.ts';
import { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import type { DeviceRequest } from '../../core/devices/DeviceRequest.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { ContentFormat } from '../../core/lwm2m/ContentFormat.ts';

const run = promisify(execFile);

/**
 * Issue 14 items 2 and 6 over real UDP: clients that refuse SenML (4.06) or drop a request whose
 * Accept they do not know are read anyway, in a format they answer; a request a device
 * acknowledges and never answers ends as NO_RESPONSE and is sent once; a pending request can be
 * cancelled through the API and the fota binary.
 */
describe('format negotiation and requests that are never answered', () => {
  let stack: LocalStack;
  let tlvOnly: SimulatedDevice;
  let oldClient: SimulatedDevice;
  let silent: SimulatedDevice;
  let sleeper: SimulatedDevice;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as DeviceRequest & Record<string, unknown> };
  };
  const operate = (endpoint: string, operation: Record<string, unknown>, waitSeconds = 15) => call('POST', `/devices/${endpoint}/operations`, { operation, waitSeconds });
  /** The registration once the edge has read /3/0 after the Register. */
  const registrationWithFacts = async (endpoint: string): Promise<DeviceRegistration> => {
    for (;;) {
      const registration = await stack.stores.registrations.get(endpoint);
      if (registration?.model !== undefined && registration.negotiatedFormat !== undefined) return registration;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    // A queue-mode device counts as asleep 1 ms after it spoke, so its requests stay PENDING.
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100, queueModeAwakeMs: 1, edgeRequests: { requestTimeoutMs: 4_000, separateResponseTimeoutMs: 1_500 } });
    const serverPort = stack.edge.address.port;
    // A 1.1 client built with TLV only: no ct=, 4.06 to both SenML formats.
    tlvOnly = new SimulatedDevice({ endpoint: 'neg-tlv-only', serverPort, lwm2mVersion: '1.1', model: 'TLV-ONLY', announcedFormats: [], refusedFormats: [ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON] });
    // An old 1.0 client that drops any request carrying Accept 11542.
    oldClient = new SimulatedDevice({ endpoint: 'neg-old-1-0', serverPort, lwm2mVersion: '1.0', model: 'OLD-10', ignoredAcceptFormats: [ContentFormat.TLV] });
    silent = new SimulatedDevice({ endpoint: 'neg-acks-only', serverPort, lwm2mVersion: '1.1', unansweredMethods: ['iPATCH'] });
    sleeper = new SimulatedDevice({ endpoint: 'neg-sleeper', serverPort, lwm2mVersion: '1.1', queueModeAwakeMs: 60_000 });
    await Promise.all([tlvOnly.start(), oldClient.start(), silent.start(), sleeper.start()]);
  });

  afterAll(async () => {
    await Promise.all([tlvOnly?.stop(), oldClient?.stop(), silent?.stop(), sleeper?.stop()]);
    await stack?.stop();
  });

  it('reads /3/0 of a TLV-only 1.1 client after Register by falling back from SenML to TLV, and remembers TLV', async () => {
    const registration = await registrationWithFacts('neg-tlv-only');

    expect(registration).toMatchObject({ model: 'TLV-ONLY', firmwareVersion: '1.0.0', negotiatedFormat: ContentFormat.TLV });
    expect(tlvOnly.receivedRequests.filter((r) => r.path === '/3/0').map((r) => [r.accept, r.fate])).toEqual([
      [ContentFormat.SENML_CBOR, 'notAcceptable'],
      [ContentFormat.SENML_JSON, 'notAcceptable'],
      [ContentFormat.TLV, 'handled'],
    ]);
  });

  it('answers an API read of the TLV-only client in the remembered format at the first try, naming the format', async () => {
    await registrationWithFacts('neg-tlv-only');
    const before = tlvOnly.receivedRequests.length;

    const read = await operate('neg-tlv-only', { kind: 'read', path: '/3/0/1' });

    expect(read.body).toMatchObject({ status: 'DONE', result: { code: '2.05', contentFormat: ContentFormat.TLV, values: { '/3/0/1': 'TLV-ONLY' } } });
    expect(tlvOnly.receivedRequests.slice(before).map((r) => r.accept)).toEqual([ContentFormat.TLV]);
  });

  it('observes a resource of the TLV-only client in TLV, and names the format of its first value', async () => {
    await registrationWithFacts('neg-tlv-only');

    const observed = await operate('neg-tlv-only', { kind: 'observe', path: '/3/0/9' });

    expect(observed.body).toMatchObject({ status: 'DONE', result: { code: '2.05', contentFormat: ContentFormat.TLV, values: { '/3/0/9': expect.any(Number) } } });
  });

  it('reads an old 1.0 client that drops requests with Accept TLV by asking without Accept after one silent try', async () => {
    const registration = await registrationWithFacts('neg-old-1-0');

    expect(registration).toMatchObject({ model: 'OLD-10', firmwareVersion: '1.0.0', negotiatedFormat: 'none' });
    const distinct = new Map(oldClient.receivedRequests.filter((r) => r.path === '/3/0').map((r) => [r.messageId, [r.accept, r.fate]]));
    expect([...distinct.values()]).toEqual([
      [ContentFormat.TLV, 'dropped'],
      [undefined, 'handled'],
    ]);
  });

  it('answers an API read of the old 1.0 client without Accept, in the format the device chose', async () => {
    await registrationWithFacts('neg-old-1-0');

    const read = await operate('neg-old-1-0', { kind: 'read', path: '/3/0' });

    expect(read.body).toMatchObject({ status: 'DONE', result: { code: '2.05', contentFormat: ContentFormat.TLV, values: { '/3/0/1': 'OLD-10' } } });
  });

  it('ends a Write-Composite the device acknowledged and never answered as NO_RESPONSE, sent once even after an Update', async () => {
    const write = await operate('neg-acks-only', { kind: 'writeComposite', values: { '/1/0/1': 600 } });
    await silent.update();
    const after = await operate('neg-acks-only', { kind: 'read', path: '/3/0/1' });

    expect(write.body).toMatchObject({ status: 'NO_RESPONSE', attempts: 1 });
    expect(after.body.status).toBe('DONE');
    expect(silent.receivedRequests.filter((r) => r.method === 'iPATCH')).toHaveLength(1);
  });

  it('cancels a pending request through the API, and refuses to cancel it again with 409', async () => {
    const queued = await operate('neg-sleeper', { kind: 'execute', path: '/3/0/4' }, 0);

    const cancelled = await call('DELETE', `/requests/${queued.body.requestId}`);
    const again = await call('DELETE', `/requests/${queued.body.requestId}`);
    const unknown = await call('DELETE', '/requests/no-such-request');

    expect(queued.status).toBe(202);
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'CANCELLED', requestId: queued.body.requestId } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'ILLEGAL_ACTION' } } });
    expect(unknown.status).toBe(404);
  });

  it('cancels a pending request with fota devices cancel-request', async () => {
    const queued = await operate('neg-sleeper', { kind: 'read', path: '/3/0/9' }, 0);

    const cli = await run('node', ['cli/fota.js', '--api', stack.apiUrl, 'devices', 'cancel-request', queued.body.requestId], { timeout: 30_000 });

    expect(cli.stdout).toMatch(new RegExp(`CANCELLED ${queued.body.requestId}`));
    expect((await call('GET', `/requests/${queued.body.requestId}`)).body.status).toBe('CANCELLED');
  });
});
