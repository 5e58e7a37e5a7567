/**
 * Requests from the edge to a device, each settled once (OutboundExchange) and carried on the wire
 * by the edge's own codec (ConfirmableRequests.ts): a piggybacked answer, a separate response
 * after an empty ACK (RFC 7252 §5.2.2), silence after that ACK, a peer given up while the request
 * waits, retransmissions, block-wise answers (RFC 7959 §2.4), and what a device may send wrong
 * (malformed, truncated, a stranger's token). Real UDP on loopback; the "device" is a scripted socket.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import coap from 'coap';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { CoapTransport, type Peer } from '../../coap-edge/transport/CoapTransport.ts';
import { DeviceNoResponseError, DeviceTimeoutError, PeerMovedError, TransportError } from '../../coap-edge/transport/errors.ts';
import { decodeBlockOption, encodeBlockOption } from '../../core/lwm2m/blockwise.ts';

let transport: CoapTransport | undefined;
let device: Socket | undefined;

afterEach(async () => {
  device?.close();
  device = undefined;
  await transport?.stop();
  transport = undefined;
  coap.defaultTiming();
});

async function startTransport(separateResponseTimeoutMs: number): Promise<CoapTransport> {
  transport = new CoapTransport({ port: 0, requestTimeoutMs: 10_000, separateResponseTimeoutMs });
  await transport.start();
  return transport;
}

/** A scripted device: hands every request to `onRequest`, which answers through `reply`. */
async function scriptedDevice(onRequest: (request: ParsedPacket, reply: (packet: Buffer) => void) => void): Promise<Peer> {
  const socket = createSocket('udp4');
  device = socket;
  socket.on('message', (message, remote) => onRequest(parse(message), (packet) => socket.send(packet, remote.port, remote.address)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { address: '127.0.0.1', port: socket.address().port };
}

const emptyAck = (request: ParsedPacket): Buffer => generate({ code: '0.00', ack: true, messageId: request.messageId });

/** A piggybacked answer to `request`, with options by number. */
function answer(request: ParsedPacket, code: string, payload: Buffer, options: Record<number, Buffer> = {}): Buffer {
  return generate({ code, ack: true, messageId: request.messageId, token: request.token, payload, options: Object.entries(options).map(([name, value]) => ({ name, value })) });
}

const option = (packet: ParsedPacket, name: string): Buffer | undefined => packet.options.find((o) => o.name === name)?.value;
const uriPath = (packet: ParsedPacket): string => packet.options.filter((o) => o.name === 'Uri-Path').map((o) => o.value.toString()).join('/');

describe('a request to a device', () => {
  it('resolves with the separate response that follows an empty ACK', async () => {
    const edge = await startTransport(5_000);
    const peer = await scriptedDevice((request, reply) => {
      if (request.ack) return; // the edge's ACK of our separate response
      reply(emptyAck(request));
      reply(generate({ code: '2.05', confirmable: true, messageId: (request.messageId + 1) % 65536, token: request.token, payload: Buffer.from('3.1.4') }));
    });

    const response = await edge.request(peer, { method: 'GET', path: '/3/0/3' });

    expect(response.code).toBe('2.05');
    expect(response.payload.toString()).toBe('3.1.4');
  });

  it('is one CON datagram with its path, query and Accept as options, and resolves with the piggybacked answer, its Content-Format read', async () => {
    const edge = await startTransport(5_000);
    const received: ParsedPacket[] = [];
    const peer = await scriptedDevice((request, reply) => {
      received.push(request);
      reply(answer(request, '2.05', Buffer.from('tlv bytes'), { 12: Buffer.from([0x2d, 0x16]) }));
    });

    const response = await edge.request(peer, { method: 'GET', path: '/3/0', query: 'a=1&b=2', accept: 11542 });

    expect(response).toMatchObject({ code: '2.05', contentFormat: 11542 });
    expect(response.payload.toString()).toBe('tlv bytes');
    const [request] = received;
    expect(request).toMatchObject({ confirmable: true, code: '0.01' });
    expect(request?.token).toHaveLength(8);
    expect(uriPath(request as ParsedPacket)).toBe('3/0');
    expect(request?.options.filter((o) => o.name === 'Uri-Query').map((o) => o.value.toString())).toEqual(['a=1', 'b=2']);
    expect(option(request as ParsedPacket, 'Accept')).toEqual(Buffer.from([0x2d, 0x16]));
  });

  it("acknowledges a separate response with an empty ACK of that response's message id", async () => {
    const edge = await startTransport(5_000);
    const acks: ParsedPacket[] = [];
    const peer = await scriptedDevice((packet, reply) => {
      if (packet.ack) return void acks.push(packet);
      reply(emptyAck(packet));
      reply(generate({ code: '2.04', confirmable: true, messageId: 4242, token: packet.token }));
    });

    await expect(edge.request(peer, { method: 'POST', path: '/5/0/2' })).resolves.toMatchObject({ code: '2.04' });

    await expect.poll(() => acks.map((ack) => [ack.code, ack.messageId, ack.token.length])).toEqual([['0.00', 4242, 0]]);
  });

  it('sends the same datagram again when the first goes unanswered (RFC 7252 §4.2), and takes the answer to the retransmission', async () => {
    coap.updateTiming({ ackTimeout: 0.05, ackRandomFactor: 1, maxRetransmit: 4 });
    const edge = await startTransport(5_000);
    const datagrams: ParsedPacket[] = [];
    const peer = await scriptedDevice((request, reply) => {
      datagrams.push(request);
      if (datagrams.length === 2) reply(answer(request, '2.05', Buffer.from('late')));
    });

    const response = await edge.request(peer, { method: 'GET', path: '/3/0/3' });

    expect(response.payload.toString()).toBe('late');
    expect(datagrams).toHaveLength(2);
    expect(datagrams[1]?.messageId).toBe(datagrams[0]?.messageId);
  });

  it('fails as DeviceTimeoutError after the last retransmission goes unanswered', async () => {
    coap.updateTiming({ ackTimeout: 0.02, ackRandomFactor: 1, maxRetransmit: 2 });
    const edge = await startTransport(5_000);
    const datagrams: ParsedPacket[] = [];
    const peer = await scriptedDevice((request) => datagrams.push(request));

    const outcome = edge.request(peer, { method: 'GET', path: '/3/0' });

    await expect(outcome).rejects.toBeInstanceOf(DeviceTimeoutError);
    await expect(outcome).rejects.toThrow('no answer after 2 retransmissions');
    expect(datagrams).toHaveLength(3);
  });

  it('asks for a block-wise answer block by block with the same token and new message ids, and resolves with the blocks joined', async () => {
    const edge = await startTransport(5_000);
    const body = Buffer.from('0123456789abcdef'.repeat(2) + 'tail');
    const asked: ParsedPacket[] = [];
    const peer = await scriptedDevice((request, reply) => {
      asked.push(request);
      const wanted = option(request, 'Block2');
      const num = wanted === undefined ? 0 : (decodeBlockOption(wanted)?.num ?? 0);
      const more = (num + 1) * 16 < body.length;
      reply(answer(request, '2.05', body.subarray(num * 16, (num + 1) * 16), { 12: Buffer.from([0x2d, 0x16]), 23: encodeBlockOption({ num, more, szx: 0 }) }));
    });

    const response = await edge.request(peer, { method: 'GET', path: '/3/0', accept: 11542 });

    expect(response.payload.toString()).toBe(body.toString());
    expect(response.contentFormat).toBe(11542);
    expect(asked.map((request) => option(request, 'Block2'))).toEqual([undefined, encodeBlockOption({ num: 1, more: false, szx: 0 }), encodeBlockOption({ num: 2, more: false, szx: 0 })]);
    expect(new Set(asked.map((request) => request.token.toString('hex'))).size).toBe(1);
    expect(new Set(asked.map((request) => request.messageId)).size).toBe(3);
    expect(asked.every((request) => uriPath(request) === '3/0' && option(request, 'Accept')?.equals(Buffer.from([0x2d, 0x16])) === true)).toBe(true);
  });

  it('ignores a late duplicate of a block it already has and takes the next block when it comes', async () => {
    const edge = await startTransport(5_000);
    const body = Buffer.from('A'.repeat(16) + 'B'.repeat(16) + 'C');
    let first: ParsedPacket | undefined;
    const peer = await scriptedDevice((request, reply) => {
      const wanted = option(request, 'Block2');
      const num = wanted === undefined ? 0 : (decodeBlockOption(wanted)?.num ?? 0);
      const block = (n: number, to: ParsedPacket): Buffer => answer(to, '2.05', body.subarray(n * 16, (n + 1) * 16), { 23: encodeBlockOption({ num: n, more: (n + 1) * 16 < body.length, szx: 0 }) });
      if (num === 0) first = request;
      // Block 0 again (a duplicate the network kept), then the block asked for.
      if (num === 1 && first !== undefined) reply(block(0, first));
      reply(block(num, request));
    });

    const response = await edge.request(peer, { method: 'GET', path: '/3/0' });

    expect(response.payload.toString()).toBe(body.toString());
  });

  it('takes a piggybacked answer only under the message id of the request it answers: a late ACK to an earlier request with the same token is not it', async () => {
    const edge = await startTransport(5_000);
    const token = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
    let firstRequest: ParsedPacket | undefined;
    const peer = await scriptedDevice((request, reply) => {
      if (firstRequest === undefined) {
        firstRequest = request;
        return reply(answer(request, '2.31', Buffer.alloc(0)));
      }
      // The network hands over the first answer again before this request's own.
      reply(answer(firstRequest, '2.31', Buffer.alloc(0)));
      reply(answer(request, '2.04', Buffer.alloc(0)));
    });

    await expect(edge.request(peer, { method: 'PUT', path: '/5/0/0', token })).resolves.toMatchObject({ code: '2.31' });
    await expect(edge.request(peer, { method: 'PUT', path: '/5/0/0', token })).resolves.toMatchObject({ code: '2.04' });
  });

  it('fails with TransportError, and the transport keeps serving, when an answer carries a malformed Block2 option', async () => {
    const edge = await startTransport(5_000);
    let requests = 0;
    const peer = await scriptedDevice((request, reply) => {
      requests++;
      // Four bytes: no Block2 value is that long (RFC 7959 §2.2); then a good answer to the next request.
      reply(requests === 1 ? answer(request, '2.05', Buffer.from('x'), { 23: Buffer.from([1, 2, 3, 4]) }) : answer(request, '2.05', Buffer.from('fine')));
    });

    await expect(edge.request(peer, { method: 'GET', path: '/3/0' })).rejects.toThrow(TransportError);
    await expect(edge.request(peer, { method: 'GET', path: '/3/0' })).resolves.toMatchObject({ code: '2.05' });
  });

  it('fails with TransportError when a block before the last is short of its block size', async () => {
    const edge = await startTransport(5_000);
    const peer = await scriptedDevice((request, reply) => reply(answer(request, '2.05', Buffer.from('short'), { 23: encodeBlockOption({ num: 0, more: true, szx: 0 }) })));

    await expect(edge.request(peer, { method: 'GET', path: '/3/0' })).rejects.toThrow('block 0 of the answer holds 5 bytes, not 16');
  });

  it("ignores a truncated datagram and an answer with another request's token, and takes the right answer after them", async () => {
    const edge = await startTransport(5_000);
    const peer = await scriptedDevice((request, reply) => {
      const good = answer(request, '2.05', Buffer.from('mine'));
      reply(good.subarray(0, 3)); // not even a header: malformed
      reply(good.subarray(0, 6)); // the header and two bytes of the token: parsed, and nobody's
      reply(answer({ ...request, token: Buffer.from('0000000000000000', 'hex') }, '2.05', Buffer.from('not mine')));
      reply(good);
    });

    const response = await edge.request(peer, { method: 'GET', path: '/3/0' });

    expect(response.payload.toString()).toBe('mine');
    await expect.poll(() => edge.stats.malformedDatagrams).toBe(1);
  });

  it('resolves with code 0.00 when the device resets the request (RST), as node-coap did', async () => {
    const edge = await startTransport(5_000);
    const peer = await scriptedDevice((request, reply) => reply(generate({ code: '0.00', reset: true, messageId: request.messageId })));

    await expect(edge.request(peer, { method: 'GET', path: '/3/0' })).resolves.toMatchObject({ code: '0.00' });
  });

  it('fails as DeviceNoResponseError, not a plain timeout, when an acknowledged request is never answered', async () => {
    const edge = await startTransport(300);
    const received: ParsedPacket[] = [];
    const peer = await scriptedDevice((request, reply) => {
      received.push(request);
      reply(emptyAck(request));
    });

    const outcome = edge.request(peer, { method: 'POST', path: '/5/0/2' });

    await expect(outcome).rejects.toBeInstanceOf(DeviceNoResponseError);
    await expect(outcome).rejects.toThrow('acknowledged, but no response within 300 ms');
    expect(received).toHaveLength(1); // acknowledged: never sent again
  });

  it('is given up with PeerMovedError when its device moved, once, and nothing is left to give up after', async () => {
    const edge = await startTransport(5_000);
    const received: ParsedPacket[] = [];
    const peer = await scriptedDevice((request) => received.push(request));
    const outcome = edge.request(peer, { method: 'GET', path: '/3/0' });
    await expect.poll(() => received.length).toBe(1);

    expect(edge.abandonPeer(peer, 'registered from another port')).toBe(1);

    await expect(outcome).rejects.toBeInstanceOf(PeerMovedError);
    expect(edge.abandonPeer(peer, 'registered from another port')).toBe(0);
  });
});
