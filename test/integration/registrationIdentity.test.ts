/**
 * Identity on every registration operation, and credentials deciding the transport, against real
 * DTLS peers (node-dtls-client, libcoap's coap-client-openssl) and a plain UDP client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LocalStack } from '../../local/LocalStack.ts';
import { DynamoDbCredentialStore, LocalKeyFileProtector } from '../../store/DeviceCredentialStore.ts';
import { RawCoapClient, locationOf } from './rawCoap.ts';
import { DtlsCoapDevice } from './dtlsDevice.ts';

const run = promisify(execFile);
const REVOCATION_BOUND_MS = 10_000;

describe('identity on every registration operation', () => {
  let stack: LocalStack;
  let securePort: number;
  const devices: DtlsCoapDevice[] = [];

  const provision = async (endpoint: string, identity: string, key: string): Promise<void> => {
    const response = await fetch(`${stack.apiUrl}/devices/${endpoint}/credentials`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity, keyHex: Buffer.from(key).toString('hex') }) });
    expect(response.status).toBe(201);
  };
  const connect = async (identity: string, key: string): Promise<DtlsCoapDevice> => {
    const device = await DtlsCoapDevice.connect(securePort, identity, key);
    devices.push(device);
    return device;
  };
  /** Resolves with the milliseconds it took, or rejects past the bound the API promises. */
  const withinRevocationBound = async (event: Promise<void>): Promise<number> => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([event, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the session outlived its revocation by 10 s')), REVOCATION_BOUND_MS)))]);
    clearTimeout(timer);
    return Date.now() - started;
  };

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent' });
    if (stack.edge.secureAddress === undefined) throw new Error('the local stack has no CoAPS listener');
    securePort = stack.edge.secureAddress.port;
    await provision('id-meter', 'id-meter-psk', 'id-meter-secret!');
    await provision('id-neighbour', 'id-neighbour-psk', 'id-neighbour-key');
  });

  afterAll(async () => {
    for (const device of devices) await device.close();
    await stack?.stop();
  });

  it('gives every registration an id of 128 random bits in base64url, nothing of the endpoint in it', async () => {
    const client = await RawCoapClient.open(stack.edge.address.port);
    const ids = [];
    for (const endpoint of ['id-plain-1', 'id-plain-2']) {
      const reply = await client.register([`ep=${endpoint}`, 'lt=300', 'lwm2m=1.1']);
      expect(reply.code).toBe('2.01');
      ids.push(locationOf(reply)[1]?.toString() ?? '');
    }
    await client.close();

    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      expect(id).not.toContain(Buffer.from('id-plain', 'utf8').toString('base64url').slice(0, 8));
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('answers 4.04 to an Update or De-register naming an id the edge never minted (empty, 1,000 bytes, odd characters)', async () => {
    const client = await RawCoapClient.open(stack.edge.address.port);
    const codes = [];
    for (const id of ['', 'x'.repeat(1000), 'a b\u0000c']) {
      const location = [Buffer.from('rd'), Buffer.from(id)];
      codes.push((await client.update(location)).code, (await client.deregister(location)).code);
    }
    await client.close();

    expect(codes).toEqual(Array(6).fill('4.04'));
  });

  it('refuses a plain-CoAP De-register of a DTLS registration with 4.03, and the device stays registered', async () => {
    const device = await connect('id-meter-psk', 'id-meter-secret!');
    const location = locationOf(await device.register('id-meter'));
    const client = await RawCoapClient.open(stack.edge.address.port);

    const reply = await client.deregister(location);
    await client.close();

    expect(reply.code).toBe('4.03');
    expect((await stack.stores.registrations.get('id-meter'))?.registrationId).toBe(location[1]?.toString());
  });

  it('refuses a De-register from another DTLS identity with 4.03, and the device stays registered', async () => {
    const device = await connect('id-meter-psk', 'id-meter-secret!');
    const location = locationOf(await device.register('id-meter'));
    const neighbour = await connect('id-neighbour-psk', 'id-neighbour-key');

    const reply = await neighbour.deregister(location);

    expect(reply.code).toBe('4.03');
    expect((await stack.stores.registrations.get('id-meter'))?.registrationId).toBe(location[1]?.toString());
  });

  it("accepts a De-register over the registration's own DTLS identity", async () => {
    const device = await connect('id-neighbour-psk', 'id-neighbour-key');
    const location = locationOf(await device.register('id-neighbour'));

    const reply = await device.deregister(location);

    expect(reply.code).toBe('2.02');
    expect(await stack.stores.registrations.get('id-neighbour')).toBeUndefined();
  });

  it('refuses a NoSec Register of an endpoint with a provisioned key with 4.03, though it never registered securely', async () => {
    await provision('id-fresh', 'id-fresh-psk', 'id-fresh-secret!');
    const client = await RawCoapClient.open(stack.edge.address.port);

    const reply = await client.register(['ep=id-fresh', 'lt=300', 'lwm2m=1.1']);
    await client.close();

    expect(reply.code).toBe('4.03');
    expect(await stack.stores.registrations.get('id-fresh')).toBeUndefined();
  });

  it('ends the live DTLS session of a revoked identity within 10 s, and a read over it fails', async () => {
    await provision('id-revoked', 'id-revoked-psk', 'id-revoked-key!!');
    const device = await connect('id-revoked-psk', 'id-revoked-key!!');
    expect((await device.register('id-revoked')).code).toBe('2.01');

    expect((await fetch(`${stack.apiUrl}/credentials/id-revoked-psk`, { method: 'DELETE' })).status).toBe(200);
    await withinRevocationBound(device.closed);
    const response = await fetch(`${stack.apiUrl}/devices/id-revoked/operations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: { kind: 'read', path: '/3/0/0' }, waitSeconds: 5 }) });
    const request = (await response.json()) as { status: string; result?: { code: string; error?: string } };

    // Failed at the edge (no session to send it over), not answered by the device, nor sent in plaintext.
    expect(request).toMatchObject({ status: 'FAILED', result: { code: '', error: expect.stringMatching(/no DTLS session/) } });
  });

  it("ends the session of a key replaced by another process (the revocation log, polled) within 10 s; the old key's next handshake fails", async () => {
    await provision('id-rekeyed', 'id-rekeyed-psk', 'id-rekeyed-old!!');
    const device = await connect('id-rekeyed-psk', 'id-rekeyed-old!!');
    expect((await device.register('id-rekeyed')).code).toBe('2.01');
    // Another process (an API Lambda): its own store, so only the polled log can reach this edge.
    const elsewhere = new DynamoDbCredentialStore(stack.stores.clients.dynamo, stack.config.tables.credentials, new LocalKeyFileProtector(stack.config.keyFile));

    await elsewhere.put({ identity: 'id-rekeyed-psk', endpoint: 'id-rekeyed', createdAt: Date.now() }, Buffer.from('id-rekeyed-new!!'));
    await withinRevocationBound(device.closed);

    await expect(DtlsCoapDevice.connect(securePort, 'id-rekeyed-psk', 'id-rekeyed-old!!')).rejects.toThrow();
  });

  it('registers libcoap over coaps:// with a replaced key, and not with the old one', async () => {
    await provision('id-libcoap', 'id-libcoap-psk', 'id-libcoap-old!!');
    await provision('id-libcoap', 'id-libcoap-psk', 'id-libcoap-new!!');
    const register = (key: string) =>
      run('coap-client-openssl', ['-B', '10', '-u', 'id-libcoap-psk', '-k', key, '-m', 'post', '-t', '40', '-e', '</3/0>', `coaps://127.0.0.1:${securePort}/rd?ep=id-libcoap&lt=120&lwm2m=1.1`], { timeout: 20_000 }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );

    await register('id-libcoap-old!!');
    expect(await stack.stores.registrations.get('id-libcoap')).toBeUndefined();
    await register('id-libcoap-new!!');
    expect(await stack.stores.registrations.get('id-libcoap')).toMatchObject({ pskIdentity: 'id-libcoap-psk' });
  });
});
