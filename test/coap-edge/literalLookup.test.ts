/** The datagram socket's lookup (coap-edge/transport/literalLookup.ts): literals at once, names through dns.lookup. */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { literalFirstLookup } from '../../coap-edge/transport/literalLookup.ts';

describe('the datagram lookup', () => {
  it('answers an IPv4 or IPv6 literal before it returns, with its family', () => {
    // Act
    const answers: [string, number][] = [];
    literalFirstLookup('127.1.2.3', 4, (error, address, family) => answers.push([String(error ?? address), family]));
    literalFirstLookup('::1', 6, (error, address, family) => answers.push([String(error ?? address), family]));

    // Assess
    expect(answers).toEqual([
      ['127.1.2.3', 4],
      ['::1', 6],
    ]);
  });

  it('resolves a name through dns.lookup, in the family asked for', async () => {
    // Act
    const answer = await new Promise<[string, number]>((resolve, reject) => literalFirstLookup('localhost', 4, (error, address, family) => (error === null ? resolve([address, family]) : reject(error))));

    // Assess
    expect(answer).toEqual(['127.0.0.1', 4]);
  });

  it('carries datagrams between two sockets that use it', async () => {
    // Prepare
    const [a, b] = [createSocket({ type: 'udp4', lookup: literalFirstLookup }), createSocket({ type: 'udp4', lookup: literalFirstLookup })];
    await Promise.all([a, b].map((socket) => new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))));
    const received = new Promise<string>((resolve) => b.once('message', (message) => resolve(message.toString())));

    // Act
    a.send(Buffer.from('hello'), b.address().port, '127.0.0.1');

    // Assess
    expect(await received).toBe('hello');
    a.close();
    b.close();
  });
});
