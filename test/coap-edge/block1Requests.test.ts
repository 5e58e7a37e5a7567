/**
 * Block-wise requests into the edge's transport (RFC 7959 §2.5), over real UDP on loopback: a
 * hand-driven client sends Block1 pieces, the handler records what reaches it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NamedOption, ParsedPacket } from 'coap-packet';
import { CoapTransport, type InboundRequest } from '../../coap-edge/transport/CoapTransport.ts';
import type { Block1ReceiverOptions } from '../../coap-edge/transport/Block1Receiver.ts';
import { decodeBlockOption, encodeBlockOption, type BlockOption } from '../../core/lwm2m/blockwise.ts';
import { decodeUint, encodeUint } from '../../coap-edge/transport/coapOptions.ts';
import { RawCoapClient, uriPath } from '../integration/rawCoap.ts';

let transport: CoapTransport | undefined;
const clients: RawCoapClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await transport?.stop();
  transport = undefined;
});

async function start(block1: Block1ReceiverOptions = {}): Promise<{ handled: InboundRequest[]; client: RawCoapClient; edge: CoapTransport; port: number }> {
  const handled: InboundRequest[] = [];
  const edge = new CoapTransport({ port: 0, block1 });
  edge.onRequest((request) => {
    handled.push(request);
    return Promise.resolve({ code: '2.04' });
  });
  transport = edge;
  const bound = await edge.start();
  const client = await RawCoapClient.open(bound.port);
  clients.push(client);
  return { handled, client, edge, port: bound.port };
}

const BODY = Buffer.from(Array.from({ length: 40 }, (_, i) => `</${3300 + i}/0>`).join(','));

function block(client: RawCoapClient, num: number, szx: number, body: Buffer = BODY, extra: NamedOption[] = [], path = 'dp'): Promise<ParsedPacket> {
  const size = 1 << (szx + 4);
  const piece = body.subarray(num * size, (num + 1) * size);
  const more = (num + 1) * size < body.length;
  return client.exchange({
    code: 'POST',
    options: [uriPath(path), { name: 'Content-Format', value: Buffer.from([40]) }, { name: 'Block1', value: encodeBlockOption({ num, more, szx }) }, ...extra],
    payload: piece,
  });
}

function block1Of(reply: ParsedPacket): BlockOption | undefined {
  const value = reply.options.find((o) => o.name === 'Block1')?.value;
  return value === undefined ? undefined : decodeBlockOption(value);
}

function size1Of(reply: ParsedPacket): number | undefined {
  const value = reply.options.find((o) => o.name === 'Size1')?.value;
  return value === undefined ? undefined : decodeUint(value);
}

describe('Block1 requests into the transport (RFC 7959 §2.5)', () => {
  it('answers every block but the last 2.31 Continue with Block1 echoing its NUM and SZX', async () => {
    const { client, handled } = await start();

    const replies = [await block(client, 0, 2), await block(client, 1, 2)];

    expect(replies.map((r) => r.code)).toEqual(['2.31', '2.31']);
    expect(replies.map(block1Of)).toEqual([{ num: 0, more: true, szx: 2 }, { num: 1, more: true, szx: 2 }]);
    expect(handled).toHaveLength(0);
  });

  it('hands the handler the whole body once, after the last block, though each block had its own token', async () => {
    const { client, handled } = await start();
    const blocks = Math.ceil(BODY.length / 64);

    for (let num = 0; num < blocks; num++) await block(client, num, 2);

    expect(handled.map((r) => r.payload.toString())).toEqual([BODY.toString()]);
  });

  it('answers the last block with the final response carrying Block1 of the last NUM and M=0', async () => {
    const { client } = await start();
    const last = Math.ceil(BODY.length / 256) - 1;

    for (let num = 0; num < last; num++) await block(client, num, 4);
    const final = await block(client, last, 4);

    expect(final.code).toBe('2.04');
    expect(block1Of(final)).toEqual({ num: last, more: false, szx: 4 });
  });

  it('asks for a smaller block size in its 2.31 and reassembles the client continuing at that size', async () => {
    const { client, handled } = await start({ preferredSzx: 2 });

    const first = await block(client, 0, 3);
    // 128 bytes received; at 64-byte blocks the client goes on with NUM 2.
    const blocks = Math.ceil(BODY.length / 64);
    for (let num = 2; num < blocks; num++) await block(client, num, 2);

    expect(block1Of(first)).toEqual({ num: 0, more: true, szx: 2 });
    expect(handled.map((r) => r.payload.toString())).toEqual([BODY.toString()]);
  });

  it('answers 4.08 Request Entity Incomplete to a block after a gap, and the handler is never called', async () => {
    const { client, handled } = await start();

    await block(client, 0, 2);
    const gap = await block(client, 2, 2);

    expect(gap.code).toBe('4.08');
    expect(handled).toHaveLength(0);
  });

  it('answers 4.08 to a block whose first block it never received', async () => {
    const { client } = await start();

    expect((await block(client, 3, 2)).code).toBe('4.08');
  });

  it('answers 4.13 with Size1 = its limit to a first block announcing a larger Size1', async () => {
    const { client, edge } = await start({ maxBodyBytes: 512 });

    const reply = await block(client, 0, 4, BODY, [{ name: 'Size1', value: encodeUint(100_000) }]);

    expect(reply.code).toBe('4.13');
    expect(size1Of(reply)).toBe(512);
    expect(edge.block1.stats.transfers).toBe(0);
  });

  it('answers 4.13 once the blocks pass the limit, when no Size1 announced the size', async () => {
    const { client, handled } = await start({ maxBodyBytes: 300 });

    const codes = [];
    for (let num = 0; num < 3; num++) codes.push((await block(client, num, 3)).code);

    expect(codes).toEqual(['2.31', '2.31', '4.13']);
    expect(handled).toHaveLength(0);
  });

  it('acknowledges a block sent again under a new message id without taking its bytes twice', async () => {
    const { client, handled } = await start();
    const blocks = Math.ceil(BODY.length / 128);

    await block(client, 0, 3);
    const again = await block(client, 0, 3);
    await block(client, 1, 3);
    const repeated = await block(client, 1, 3);
    for (let num = 2; num < blocks; num++) await block(client, num, 3);

    expect([again.code, repeated.code]).toEqual(['2.31', '2.31']);
    expect(handled.map((r) => r.payload.toString())).toEqual([BODY.toString()]);
  });

  it('drops a transfer abandoned longer than its timeout, and a late block then gets 4.08', async () => {
    let now = 1_000_000;
    const { client, edge } = await start({ transferTimeoutMs: 30_000, clock: () => now });
    await block(client, 0, 2);
    const heldBefore = edge.block1.stats.bufferedBytes;

    now += 30_001;
    edge.block1.expire();
    const late = await block(client, 1, 2);

    expect(heldBefore).toBe(64);
    expect([edge.block1.stats.transfers, edge.block1.stats.bufferedBytes, edge.block1.stats.expired]).toEqual([0, 0, 1]);
    expect(late.code).toBe('4.08');
  });

  it('keeps at most the per-peer number of transfers: a new one evicts the peer oldest', async () => {
    const { client, edge } = await start({ maxTransfersPerPeer: 2 });
    await block(client, 0, 2, BODY, [], 'a');
    await block(client, 0, 2, BODY, [], 'b');

    await block(client, 0, 2, BODY, [], 'c');

    expect(edge.block1.stats.transfers).toBe(2);
    expect((await block(client, 1, 2, BODY, [], 'a')).code).toBe('4.08');
    expect((await block(client, 1, 2, BODY, [], 'c')).code).toBe('2.31');
  });

  it('answers 5.03 with Max-Age when the bytes held across all peers would pass the overall cap', async () => {
    const { client: first, port } = await start({ maxBufferedBytes: 100 });
    const second = await RawCoapClient.open(port);
    clients.push(second);

    const admitted = await block(first, 0, 2);
    const refused = await block(second, 0, 2);

    expect(admitted.code).toBe('2.31');
    expect(refused.code).toBe('5.03');
    expect(refused.options.some((o) => o.name === 'Max-Age')).toBe(true);
  });

  it('passes a request without Block1 through untouched, with no Block1 in its response', async () => {
    const { client, handled } = await start();

    const reply = await client.exchange({ code: 'POST', options: [uriPath('dp')], payload: Buffer.from('small') });

    expect(reply.code).toBe('2.04');
    expect(block1Of(reply)).toBeUndefined();
    expect(handled.map((r) => r.payload.toString())).toEqual(['small']);
  });

  it('answers 4.00 to a Block1 option with the reserved SZX 7', async () => {
    const { client, handled } = await start();

    const reply = await client.exchange({ code: 'POST', options: [uriPath('dp'), { name: 'Block1', value: Buffer.from([0x0f]) }], payload: Buffer.alloc(16) });

    expect(reply.code).toBe('4.00');
    expect(handled).toHaveLength(0);
  });
});
