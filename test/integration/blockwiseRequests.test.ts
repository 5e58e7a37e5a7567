/**
 * Block-wise requests into the running edge (RFC 7959 §2.5) from the real peer, libcoap's
 * coap-client: Register, Update and Send with bodies in Block1 pieces, each handled only whole.
 * Gaps and oversize bodies come from a hand-driven client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { encodeUint } from '../../coap-edge/transport/coapOptions.ts';
import { encodeBlockOption } from '../../core/lwm2m/blockwise.ts';
import { LocalStack } from '../../local/LocalStack.ts';
import { run } from '../dtls/helpers.ts';
import { RawCoapClient, uriPath } from './rawCoap.ts';

const COAP_CLIENT = '/usr/bin/coap-client-openssl';

/** 63 object instances, as a device with many vendor objects announces them: about 720 bytes of links. */
const OBJECT_LINKS = ['/1/0', '/3/0', '/5/0', ...Array.from({ length: 60 }, (_, i) => `/${26241 + i}/0`)];
const LINK_PAYLOAD = `</>;rt="oma.lwm2m";ct=110,${OBJECT_LINKS.map((path) => `<${path}>`).join(',')}`;

/** A free UDP port on loopback, so coap-client's Register and its later Send share one source port. */
async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('block-wise requests from libcoap coap-client', () => {
  let stack: LocalStack;
  const uri = (path: string) => `coap://127.0.0.1:${stack.edge.address.port}${path}`;
  const coapClient = (args: readonly string[]) => run(COAP_CLIENT, ['-B', '10', ...args], { timeoutMs: 15_000 });

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 200 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([16, 512])('stores every one of 63 objects of a Register sent in %i-byte blocks', async (size) => {
    const endpoint = `bw-register-${size}`;
    const completedBefore = stack.edge.transport.block1.stats.completed;

    const result = await coapClient(['-m', 'post', '-b', String(size), '-t', '40', '-e', LINK_PAYLOAD, uri(`/rd?ep=${endpoint}&lt=300&lwm2m=1.1&b=U`)]);

    expect(LINK_PAYLOAD.length).toBeGreaterThan(512);
    expect(result.code).toBe(0);
    expect(stack.edge.transport.block1.stats.completed).toBe(completedBefore + 1);
    expect((await stack.stores.registrations.get(endpoint))?.objectLinks).toEqual(OBJECT_LINKS);
  });

  it('replaces the object links with those of an Update sent in 32-byte blocks', async () => {
    const endpoint = 'bw-update';
    await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>', uri(`/rd?ep=${endpoint}&lt=300&lwm2m=1.1`)]);
    const registered = await stack.stores.registrations.get(endpoint);

    const result = await coapClient(['-m', 'post', '-b', '32', '-t', '40', '-e', LINK_PAYLOAD, uri(`/rd/${registered?.registrationId ?? 'missing'}?lt=600`)]);

    expect(result.code).toBe(0);
    expect(await stack.stores.registrations.get(endpoint)).toMatchObject({ lifetimeSeconds: 600, objectLinks: OBJECT_LINKS });
  });

  it('records every value of a SenML-JSON Send sent in 64-byte blocks', async () => {
    const endpoint = 'bw-send';
    const port = await freePort();
    await coapClient(['-p', String(port), '-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>,</3303/0>', uri(`/rd?ep=${endpoint}&lt=300&lwm2m=1.1`)]);
    const senml = JSON.stringify([{ bn: '/3303/0/', n: '5700', v: 21.5, t: 1_700_000_000 }, ...Array.from({ length: 11 }, (_, i) => ({ n: '5700', v: 22 + i, t: 1_700_000_001 + i }))]);

    const result = await coapClient(['-p', String(port), '-m', 'post', '-b', '64', '-t', '110', '-e', senml, uri('/dp')]);

    expect(senml.length).toBeGreaterThan(256);
    expect(result.code).toBe(0);
    const samples = await stack.stores.telemetry.latest(endpoint, 50);
    expect(samples.map((s) => s.value).sort()).toEqual([21.5, ...Array.from({ length: 11 }, (_, i) => 22 + i)].sort());
  });

  it('answers 4.08 to a Register block after a gap and stores nothing', async () => {
    const client = await RawCoapClient.open(stack.edge.address.port);
    const body = Buffer.from(LINK_PAYLOAD);
    const piece = (num: number) => ({
      code: 'POST' as const,
      options: [uriPath('rd'), { name: 'Uri-Query' as const, value: Buffer.from('ep=bw-gap') }, { name: 'Block1' as const, value: encodeBlockOption({ num, more: true, szx: 2 }) }],
      payload: body.subarray(num * 64, (num + 1) * 64),
    });
    try {
      const first = await client.exchange(piece(0));
      const gap = await client.exchange(piece(2));

      expect([first.code, gap.code]).toEqual(['2.31', '4.08']);
      expect(await stack.stores.registrations.get('bw-gap')).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('answers 4.13 with Size1 to a Register whose first block announces a body over the limit', async () => {
    const client = await RawCoapClient.open(stack.edge.address.port);
    try {
      const reply = await client.exchange({
        code: 'POST',
        options: [uriPath('rd'), { name: 'Uri-Query', value: Buffer.from('ep=bw-huge') }, { name: 'Block1', value: encodeBlockOption({ num: 0, more: true, szx: 6 }) }, { name: 'Size1', value: encodeUint(10_000_000) }],
        payload: Buffer.alloc(1024, 0x3c),
      });

      expect(reply.code).toBe('4.13');
      expect(reply.options.find((o) => o.name === 'Size1')?.value).toEqual(encodeUint(65_536));
    } finally {
      await client.close();
    }
  });
});
