import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generate } from 'coap-packet';
import { LocalStack } from '../../local/LocalStack.ts';
import { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { RawCoapClient, locationOf, uriPath } from './rawCoap.ts';

describe('the Registration interface over real UDP', () => {
  let stack: LocalStack;
  let client: RawCoapClient;
  const opened: RawCoapClient[] = [];

  const api = async (path: string, init?: { method: string; body: unknown }) => {
    const response = await fetch(`${stack.apiUrl}${path}`, init === undefined ? {} : { method: init.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const open = async () => {
    const raw = await RawCoapClient.open(stack.edge.address.port);
    opened.push(raw);
    return raw;
  };

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100 });
    client = await open();
  });

  afterAll(async () => {
    await Promise.all(opened.map((raw) => raw.close()));
    await stack?.stop();
  });

  it('accepts a LwM2M 1.2 registration and shows the device online', async () => {
    const reply = await client.register(['ep=reg-12', 'lt=300', 'lwm2m=1.2', 'b=U'], '</>;rt="oma.lwm2m";ct="11544 112",</1/0>,</3/0>');
    expect(reply.code).toBe('2.01');
    const device = await api('/devices/reg-12');
    expect(device.body).toMatchObject({ lwm2mVersion: '1.2', supportedFormats: [11544, 112], online: true, expiresAt: expect.any(Number) });
  });

  it('keeps the object links on an Update without payload and replaces them on an Update with links', async () => {
    const location = locationOf(await client.register(['ep=reg-links', 'lt=300', 'lwm2m=1.1']));

    const bare = await client.update(location, ['lt=600']);
    const afterBare = await stack.stores.registrations.get('reg-links');
    const withLinks = await client.update(location, [], '</1/0>,</3/0>,</5/0>,</3303/0>,</3303/1>');
    const afterLinks = await stack.stores.registrations.get('reg-links');

    expect([bare.code, withLinks.code]).toEqual(['2.04', '2.04']);
    expect(afterBare).toMatchObject({ lifetimeSeconds: 600, objectLinks: ['/1/0', '/3/0', '/5/0'] });
    expect(afterLinks?.objectLinks).toEqual(['/1/0', '/3/0', '/5/0', '/3303/0', '/3303/1']);
  });

  it('replaces the registration of a device that rebooted and registered from a new port without De-register, under the same location', async () => {
    // Prepare
    const before = await open();
    const after = await open();
    const first = locationOf(await before.register(['ep=rebooter', 'lt=300', 'lwm2m=1.1']));

    // Act
    const second = locationOf(await after.register(['ep=rebooter', 'lt=300', 'lwm2m=1.1'], '</1/0>,</3/0>,</5/0>,</3303/0>'));

    // Assess
    expect(second.map(String)).toEqual(first.map(String));
    expect(await stack.stores.registrations.get('rebooter')).toMatchObject({ port: after.port, registrationId: second[1]?.toString(), objectLinks: ['/1/0', '/3/0', '/5/0', '/3303/0'] });
    expect((await after.update(second)).code).toBe('2.04');
    expect(await stack.stores.registrations.get('rebooter')).toMatchObject({ port: after.port });
  });

  it('gives a Register after a De-register a new location, and the old one is gone', async () => {
    // Prepare
    const first = locationOf(await client.register(['ep=returner', 'lt=300', 'lwm2m=1.1']));
    const deregistered = await client.deregister(first);

    // Act
    const second = locationOf(await client.register(['ep=returner', 'lt=300', 'lwm2m=1.1']));

    // Assess
    expect(deregistered.code).toBe('2.02');
    expect(second.map(String)).not.toEqual(first.map(String));
    expect((await client.update(first)).code).toBe('4.04');
    expect((await client.update(second)).code).toBe('2.04');
  });

  it.each([
    ['an endpoint name longer than 128 characters', [`ep=${'x'.repeat(129)}`], /endpoint/],
    ['an endpoint name with a space', ['ep=two%20words'], /endpoint/],
    ['a lifetime of zero', ['ep=bad-lt', 'lt=0'], /lifetime/],
    ['a lifetime that is not a number', ['ep=bad-lt', 'lt=soon'], /lifetime/],
    ['an unknown LwM2M version', ['ep=bad-version', 'lwm2m=2.0'], /version/],
    ['a 1.1 binding under LwM2M 1.0', ['ep=bad-binding', 'lwm2m=1.0', 'b=T'], /binding/],
    ['an empty binding', ['ep=bad-binding', 'b='], /binding/],
  ])('answers a Register with %s with 4.00 and the reason', async (_name, query, reason) => {
    const reply = await client.register(query);
    expect(reply.code).toBe('4.00');
    expect(reply.payload.toString()).toMatch(reason);
  });

  it('answers other methods on /rd with 4.05, unknown registrations with 4.04 and a bad Update lifetime with 4.00', async () => {
    const location = locationOf(await client.register(['ep=reg-codes', 'lt=300']));
    expect((await client.exchange({ code: 'GET', options: [uriPath('rd')] })).code).toBe('4.05');
    expect((await client.exchange({ code: 'PUT', options: location.map((value) => ({ name: 'Uri-Path' as const, value })) })).code).toBe('4.05');
    expect((await client.exchange({ code: 'POST', options: [...location.map((value) => ({ name: 'Uri-Path' as const, value })), uriPath('extra')] })).code).toBe('4.04');
    expect((await client.deregister([Buffer.from('rd'), Buffer.from('not-an-id')])).code).toBe('4.04');
    const badUpdate = await client.update(location, ['lt=never']);
    expect(badUpdate.code).toBe('4.00');
    expect(badUpdate.payload.toString()).toMatch(/lifetime/);
  });

  it('expires a registration whose lifetime passed: offline in the API, no downlink, its Update refused until it registers again', async () => {
    // Prepare
    const device = new SimulatedDevice({ endpoint: 'short-lived', serverPort: stack.edge.address.port, lifetimeSeconds: 1 });
    await device.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1200));

      // Act
      const view = await api('/devices/short-lived');
      const online = await api('/devices?online=true');
      const queued = await api('/devices/short-lived/operations', { method: 'POST', body: { operation: { kind: 'read', path: '/3/0/3' }, waitSeconds: 0.6 } });
      const update = await device.update();

      // Assess
      expect(view.body).toMatchObject({ endpoint: 'short-lived', online: false });
      expect((online.body['items'] as { endpoint: string }[]).map((d) => d.endpoint)).not.toContain('short-lived');
      expect(queued).toMatchObject({ status: 202, body: { status: 'PENDING' } });
      expect(update).toBe('4.04');

      // The client registers again on the 4.04 (as LwM2M clients do): the held request reaches it.
      await expect.poll(async () => (await api(`/requests/${String(queued.body['requestId'])}`)).body['status'], { timeout: 5000 }).toBe('DONE');
      // A new registration (whose 1 s lifetime a busy machine may see pass again before this read).
      const again = (await api('/devices/short-lived')).body;
      expect(again['registrationId']).not.toBe(view.body['registrationId']);
      expect(Number(again['registeredAt'])).toBeGreaterThan(Number(view.body['registeredAt']));
    } finally {
      await device.stop();
    }
  });

  it('keeps answering Registers while fed 5,000 malformed and random datagrams', async () => {
    // Prepare: CoAP-shaped noise (valid and invalid headers, option runs, tokens up to 15 bytes,
    // requests to /rd with junk queries and payloads) and plain random bytes, from a fixed seed.
    const header = fc.record({
      version: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 3 })),
      type: fc.integer({ min: 0, max: 3 }),
      token: fc.uint8Array({ maxLength: 15 }),
      code: fc.oneof(fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x00, 0x44, 0x45, 0x84), fc.integer({ min: 0, max: 255 })),
      messageId: fc.integer({ min: 0, max: 0xffff }),
      options: fc.uint8Array({ maxLength: 40 }),
      payload: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
    }).map(({ version, type, token, code, messageId, options, payload }) => {
      const head = Buffer.from([(version << 6) | (type << 4) | Math.min(token.length, 15), code, messageId >> 8, messageId & 0xff]);
      return Buffer.concat([head, Buffer.from(token.slice(0, 8)), Buffer.from(options), ...(payload === undefined ? [] : [Buffer.from([0xff]), Buffer.from(payload)])]);
    });
    const junkRegister = fc.record({
      query: fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('ep=', 'lt=-1', 'lwm2m=9', 'b=XYZ', 'ep=%zz', 'lt=99999999999')), { maxLength: 4 }),
      payload: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('<', '</1/0', '</>;ct=', '<3/0>,,,', '</65536/0>')),
      messageId: fc.integer({ min: 0, max: 0xffff }),
      confirmable: fc.boolean(),
    }).map(({ query, payload, messageId, confirmable }) => {
      try {
        return generate({ code: 'POST', confirmable, messageId, options: [uriPath('rd'), ...query.map((q) => ({ name: 'Uri-Query' as const, value: Buffer.from(q) }))], payload: Buffer.from(payload) });
      } catch {
        return Buffer.from(payload);
      }
    });
    const datagram = fc.oneof(header, junkRegister, fc.uint8Array({ maxLength: 96 }).map((bytes) => Buffer.from(bytes)));
    const datagrams = fc.sample(datagram, { numRuns: 5000, seed: 4242 });
    const noise = await open();
    const counted = stack.edge.transport.stats.datagramsIn;

    // Act: batches of 25 paced by a timer tick (the edge shares this process and its receive
    // buffer is finite), with a real Register, retransmitted as a client would, in the middle.
    let middle: Promise<string> | undefined;
    for (let i = 0; i < datagrams.length; i += 25) {
      for (const bytes of datagrams.slice(i, i + 25)) noise.send(bytes);
      if (i === 2500) middle = client.register(['ep=amid-noise', 'lt=300', 'lwm2m=1.1']).then((reply) => reply.code);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const after = await client.register(['ep=after-noise', 'lt=300', 'lwm2m=1.1']);

    // Assess
    expect(await middle).toBe('2.01');
    expect(after.code).toBe('2.01');
    expect(stack.edge.transport.stats.datagramsIn - counted).toBeGreaterThan(2500);
    expect(stack.edge.transport.stats.malformedDatagrams).toBeGreaterThan(0);
  });
});
