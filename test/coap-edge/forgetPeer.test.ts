/**
 * NoSec hygiene in the transport: when another endpoint registers from an address, `forgetPeer`
 * drops what was kept for it. Real UDP on loopback; the "device" is a scripted socket.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { ADDRESS_TAKEN, CoapTransport, type Peer } from '../../coap-edge/transport/CoapTransport.ts';
import { PeerMovedError } from '../../coap-edge/transport/errors.ts';
import { encodeBlockOption } from '../../core/lwm2m/blockwise.ts';
import { RawCoapClient, uriPath } from '../integration/rawCoap.ts';

let transport: CoapTransport | undefined;
let device: Socket | undefined;

afterEach(async () => {
  device?.close();
  device = undefined;
  await transport?.stop();
  transport = undefined;
});

async function startTransport(): Promise<{ edge: CoapTransport; port: number; handled: string[] }> {
  const handled: string[] = [];
  const edge = new CoapTransport({ port: 0, requestTimeoutMs: 10_000 });
  edge.onRequest((request) => {
    handled.push(request.payload.toString());
    return Promise.resolve({ code: '2.04', payload: Buffer.from(`answer to ${request.payload.toString()}`) });
  });
  transport = edge;
  return { edge, port: (await edge.start()).port, handled };
}

/** A scripted device: hands every request to `onRequest` (which may answer through `reply`). */
async function scriptedDevice(onRequest: (request: ParsedPacket, reply: (packet: Buffer) => void, remote: RemoteInfo) => void): Promise<Peer> {
  const socket = createSocket('udp4');
  device = socket;
  socket.on('message', (message, remote) => onRequest(parse(message), (packet) => socket.send(packet, remote.port, remote.address), remote));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { address: '127.0.0.1', port: socket.address().port };
}

describe('forgetting an address another endpoint registered from', () => {
  it('fails a request still outstanding to it at once with PeerMovedError', async () => {
    const { edge } = await startTransport();
    const received: ParsedPacket[] = [];
    const peer = await scriptedDevice((request) => received.push(request));
    const pending = edge.request(peer, { method: 'GET', path: '/3/0' });
    await expect.poll(() => received.length).toBe(1);

    edge.forgetPeer(peer, 'another endpoint registered from it');

    await expect(pending).rejects.toBeInstanceOf(PeerMovedError);
  });

  it('ends an observation made to it, and answers its next notification with RST', async () => {
    const { edge, port } = await startTransport();
    let observeRequest: ParsedPacket | undefined;
    const replies: ParsedPacket[] = [];
    const peer = await scriptedDevice((packet, reply) => {
      if (packet.code === '0.01') {
        observeRequest = packet;
        reply(generate({ code: '2.05', ack: true, messageId: packet.messageId, token: packet.token, options: [{ name: 'Observe', value: Buffer.from([1]) }], payload: Buffer.from('1') }));
      } else replies.push(packet);
    });
    const ends: string[] = [];
    await edge.observe(peer, '/5/0/3', undefined, () => undefined, { onEnd: (code) => ends.push(code) });

    edge.forgetPeer(peer, 'another endpoint registered from it');
    device?.send(generate({ code: '2.05', confirmable: true, messageId: 4242, token: observeRequest?.token ?? Buffer.alloc(0), options: [{ name: 'Observe', value: Buffer.from([2]) }], payload: Buffer.from('2') }), port, '127.0.0.1');

    expect(ends).toEqual([ADDRESS_TAKEN]);
    await expect.poll(() => replies.some((r) => r.reset && r.messageId === 4242)).toBe(true);
  });

  it('answers a new process reusing a message id with a fresh reply, not the one cached for the previous', async () => {
    const { port, handled } = await startTransport();
    const previous = await RawCoapClient.open(port);
    const request = (payload: string) => generate({ code: 'POST', confirmable: true, messageId: 777, token: Buffer.from([1]), options: [uriPath('dp')], payload: Buffer.from(payload) });
    previous.send(request('from the sleeping device'));
    await expect.poll(() => handled.length).toBe(1);
    const localPort = previous.port;
    await previous.close();
    const successor = await RawCoapClient.open(port, localPort);

    transport?.forgetPeer({ address: '127.0.0.1', port: localPort }, 'another endpoint registered from it');
    successor.send(request('from the new process'));

    await expect.poll(() => handled).toEqual(['from the sleeping device', 'from the new process']);
    await successor.close();
  });

  it('drops the Block1 transfers under way from it', async () => {
    const { edge, port } = await startTransport();
    const client = await RawCoapClient.open(port);
    await client.exchange({ code: 'POST', options: [uriPath('dp'), { name: 'Block1', value: encodeBlockOption({ num: 0, more: true, szx: 0 }) }], payload: Buffer.alloc(16, 0x61) });
    const held = edge.block1.stats.transfers;

    edge.forgetPeer({ address: '127.0.0.1', port: client.port }, 'another endpoint registered from it');

    expect([held, edge.block1.stats.transfers, edge.block1.stats.bufferedBytes]).toEqual([1, 0, 0]);
    await client.close();
  });
});
