import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, parse } from 'coap-packet';
import { LocalStack } from '../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { jobKeyFor } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';

const run = promisify(execFile);

describe('the CoAP edge', () => {
  let stack: LocalStack;
  let client: Socket;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent' });
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  /** Sends one CON request and returns the parsed reply (bounded wait). */
  async function exchange(packet: Parameters<typeof generate>[0], timeoutMs = 3000) {
    const messageId = Math.floor(Math.random() * 65535);
    const bytes = generate({ confirmable: true, messageId, token: randomBytes(4), ...packet });
    return new Promise<ReturnType<typeof parse>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply')), timeoutMs);
      const onMessage = (message: Buffer) => {
        const reply = parse(message);
        if (reply.messageId !== messageId) return;
        clearTimeout(timer);
        client.off('message', onMessage);
        resolve(reply);
      };
      client.on('message', onMessage);
      client.send(bytes, stack.edge.address.port, '127.0.0.1');
    });
  }

  const register = (query: string[], payload = '</1/0>,</3/0>,</5/0>') =>
    exchange({
      code: 'POST',
      options: [{ name: 'Uri-Path', value: Buffer.from('rd') }, ...query.map((q) => ({ name: 'Uri-Query' as const, value: Buffer.from(q) })), { name: 'Content-Format', value: Buffer.from([40]) }],
      payload: Buffer.from(payload),
    });

  it('keeps serving after garbage datagrams, and answers the next Register with 2.01', async () => {
    const garbage = [Buffer.alloc(0), Buffer.from([0xff]), Buffer.from([0x40, 0x01]), randomBytes(64), Buffer.from([0x44, 0x01, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xdd, 0xff])];
    for (let i = 0; i < 200; i++) garbage.push(randomBytes(1 + (i % 90)));
    for (const datagram of garbage) client.send(datagram, stack.edge.address.port, '127.0.0.1');

    const reply = await register(['ep=after-garbage', 'lt=60', 'lwm2m=1.1']);

    expect(reply.code).toBe('2.01');
    expect(stack.edge.transport.stats.malformedDatagrams).toBeGreaterThan(0);
  });

  it('answers a Register without an endpoint name with 4.00 and a reason', async () => {
    const reply = await register(['lt=60']);
    expect(reply.code).toBe('4.00');
    expect(reply.payload.toString()).toMatch(/endpoint/);
  });

  it('answers a Register with unparseable object links with 4.00', async () => {
    const reply = await register(['ep=bad-links'], '</1/0,<<<');
    expect(reply.code).toBe('4.00');
  });

  it('answers an Update of an unknown registration with 4.04, and a De-register with 2.02', async () => {
    const unknown = await exchange({ code: 'POST', options: [{ name: 'Uri-Path', value: Buffer.from('rd') }, { name: 'Uri-Path', value: Buffer.from('bm9wZQ.00000000') }] });
    expect(unknown.code).toBe('4.04');

    const created = await register(['ep=short-lived', 'lt=60']);
    const location = created.options.filter((o) => o.name === 'Location-Path').map((o) => o.value);
    const removed = await exchange({ code: 'DELETE', options: location.map((value) => ({ name: 'Uri-Path' as const, value })) });
    expect(removed.code).toBe('2.02');
    expect(await stack.stores.registrations.get('short-lived')).toBeUndefined();
  });

  it('answers a firmware request with an unknown token with 4.04', async () => {
    const reply = await exchange({ code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('fw') }, { name: 'Uri-Path', value: Buffer.from('not-a-real-token-123') }] });
    expect(reply.code).toBe('4.04');
  });

  it('registers libcoap coap-client (a real third-party client) with a link-format payload', async () => {
    const url = `coap://127.0.0.1:${stack.edge.address.port}/rd?ep=libcoap-client&lt=120&lwm2m=1.1&b=U`;
    await run('coap-client-openssl', ['-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>,</5/0>', '-B', '5', url], { timeout: 10_000 });
    const registration = await stack.stores.registrations.get('libcoap-client');
    expect(registration).toMatchObject({ endpoint: 'libcoap-client', lifetimeSeconds: 120, lwm2mVersion: '1.1', objectLinks: ['/1/0', '/3/0', '/5/0'] });
  });

  it('serves a firmware image block-wise to libcoap coap-client at 16, 64, 512 and 1024 byte blocks, bytes intact', async () => {
    const bytes = buildFirmwarePackage('9.9.9', 5000);
    const image = await stack.stores.images.store({ version: '9.9.9', models: ['ANY'] }, bytes);
    const token = randomBytes(12).toString('base64url');
    const now = Date.now();
    await stack.stores.jobs.createJobs([
      { campaignId: 'interop', jobKey: jobKeyFor(0, 'libcoap'), endpoint: 'libcoap', cohort: 0, status: JobStatus.Downloading, version: 2, attempt: 0, imageId: image.imageId, targetVersion: '9.9.9', downloadToken: token, createdAt: now, updatedAt: now, history: [] },
    ]);
    const directory = await mkdtemp(join(tmpdir(), 'fota-interop-'));
    for (const blockSize of [16, 64, 512, 1024]) {
      // -o: coap-client adds a newline when it prints the payload to stdout.
      const output = join(directory, `image-${blockSize}.bin`);
      await run('coap-client-openssl', ['-b', String(blockSize), '-B', '30', '-o', output, `coap://127.0.0.1:${stack.edge.address.port}/fw/${token}`], { timeout: 60_000 });
      expect(Buffer.compare(await readFile(output), bytes), `block size ${blockSize}`).toBe(0);
    }
  });
});
