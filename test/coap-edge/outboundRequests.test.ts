/**
 * Requests from the edge to a device, each settled once (OutboundExchange): a piggybacked answer,
 * a separate response after an empty ACK (RFC 7252 §5.2.2), silence after that ACK, and a peer
 * given up while the request waits. Real UDP on loopback; the "device" is a scripted socket.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { CoapTransport, type Peer } from '../../coap-edge/transport/CoapTransport.ts';
import { DeviceNoResponseError, PeerMovedError } from '../../coap-edge/transport/errors.ts';

let transport: CoapTransport | undefined;
let device: Socket | undefined;

afterEach(async () => {
  device?.close();
  device = undefined;
  await transport?.stop();
  transport = undefined;
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
