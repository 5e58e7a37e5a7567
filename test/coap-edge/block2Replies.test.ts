/**
 * Large replies from devices (RFC 7959 §2.4): a device that answers a Read in Block2 pieces is
 * read whole through the edge's transport (node-coap's Agent asks for every next block). The
 * device is scripted over a real UDP socket on loopback.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { generate, parse } from 'coap-packet';
import { CoapTransport } from '../../coap-edge/transport/CoapTransport.ts';
import { decodeBlockOption, encodeBlockOption, sliceForBlock2 } from '../../core/lwm2m/blockwise.ts';
import { encodeUint } from '../../coap-edge/transport/coapOptions.ts';

let transport: CoapTransport | undefined;
let device: Socket | undefined;

afterEach(async () => {
  device?.close();
  device = undefined;
  await transport?.stop();
  transport = undefined;
});

/** A device holding `body` at every path, answering in Block2 pieces of at most 2^(szx+4) bytes. */
async function blockwiseDevice(body: Buffer, szx: number): Promise<{ port: number; requests: number[] }> {
  const socket = createSocket('udp4');
  device = socket;
  const requests: number[] = [];
  socket.on('message', (message, remote) => {
    const request = parse(message);
    if (!request.confirmable) return;
    const asked = request.options.find((o) => o.name === 'Block2')?.value;
    const wanted = asked === undefined ? undefined : decodeBlockOption(asked);
    const slice = sliceForBlock2(body.length, wanted === undefined ? { num: 0, more: false, szx } : { ...wanted, szx: Math.min(wanted.szx, szx) });
    if (slice.kind !== 'block') return;
    requests.push(slice.option.num);
    const reply = generate({
      code: '2.05',
      ack: true,
      messageId: request.messageId,
      token: request.token,
      options: [
        { name: 'Content-Format', value: encodeUint(11542) },
        { name: 'Block2', value: encodeBlockOption(slice.option) },
        { name: 'Size2', value: encodeUint(body.length) },
      ],
      payload: body.subarray(slice.start, slice.end),
    });
    socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, requests };
}

describe('large replies from devices (Block2, RFC 7959 §2.4)', () => {
  it('reads a 3000-byte reply the device sends in 64-byte blocks whole, block by block', async () => {
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const scripted = await blockwiseDevice(body, 2);
    transport = new CoapTransport({ port: 0, requestTimeoutMs: 10_000 });
    await transport.start();

    const reply = await transport.request({ address: '127.0.0.1', port: scripted.port }, { method: 'GET', path: '/3/0', accept: 11542 });

    expect(reply.code).toBe('2.05');
    expect(reply.payload.equals(body)).toBe(true);
    expect(reply.contentFormat).toBe(11542);
    expect(scripted.requests).toEqual(Array.from({ length: Math.ceil(3000 / 64) }, (_, i) => i));
  });
});
