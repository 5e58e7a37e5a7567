import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentType, DTLS_1_2, HandshakeType, TLS_PSK_WITH_AES_128_CCM_8 } from '../../dtls/constants.ts';
import { DtlsClient } from '../../dtls/DtlsClient.ts';
import { encodeHandshake, parseHandshakeFragments } from '../../dtls/handshakeFraming.ts';
import { encodeClientHello, parseHelloVerifyRequest } from '../../dtls/helloMessages.ts';
import { encodeRecord, parseRecords } from '../../dtls/record.ts';
import { KEYS, sleep, startServer, waitFor, type TestServer } from './helpers.ts';

let server: TestServer | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await server?.close();
  server = undefined;
});

/** A ClientHello record as a client would send it, with `cookie` (empty for the first). */
function clientHello(random: Buffer, cookie: Buffer, recordSequence = 0): Buffer {
  const body = encodeClientHello({ version: DTLS_1_2, random, sessionId: Buffer.alloc(0), cookie, cipherSuites: [TLS_PSK_WITH_AES_128_CCM_8], compressionMethods: Buffer.from([0]), extensions: [] });
  return encodeRecord(ContentType.Handshake, DTLS_1_2, 0, recordSequence, encodeHandshake(HandshakeType.ClientHello, cookie.length === 0 ? 0 : 1, body));
}

async function openSockets(count: number, address = '127.0.0.1'): Promise<{ socket: Socket; replies: Buffer[] }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const socket = createSocket('udp4');
      sockets.push(socket);
      const replies: Buffer[] = [];
      socket.on('message', (datagram) => replies.push(datagram));
      await new Promise<void>((resolve) => socket.bind(0, address, resolve));
      return { socket, replies };
    }),
  );
}

function cookieIn(datagram: Buffer): Buffer {
  const [record] = parseRecords(datagram, 0).records;
  const [fragment] = parseHandshakeFragments(record?.fragment ?? Buffer.alloc(0));
  if (fragment?.msgType !== HandshakeType.HelloVerifyRequest) throw new Error('not a HelloVerifyRequest');
  return parseHelloVerifyRequest(fragment.body).cookie;
}

describe('DtlsSocket under a ClientHello flood', () => {
  it('answers 2,000 ClientHellos from 50 source ports with cookies and keeps no state', async () => {
    server = await startServer();
    const peers = await openSockets(50);
    const heapBefore = process.memoryUsage().heapUsed;

    // Bursts of 50, one per port, so the loopback buffers never drop: every hello must be answered.
    for (let round = 1; round <= 40; round++) {
      for (const { socket } of peers) socket.send(clientHello(randomBytes(32), Buffer.alloc(0)), server.port, '127.0.0.1');
      await waitFor(() => server?.socket.stats.helloVerifyRequests === 50 * round, 5_000, `round ${round}`);
      expect([server.socket.handshakeCount, server.socket.sessionCount]).toEqual([0, 0]);
    }
    await waitFor(() => peers.every((peer) => peer.replies.length === 40), 5_000, 'every HelloVerifyRequest');

    expect([server.socket.handshakeCount, server.socket.sessionCount]).toEqual([0, 0]);
    expect(peers.reduce((sum, peer) => sum + peer.replies.length, 0)).toBe(2_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
  });

  it('keeps no state for ClientHellos with forged or misdirected cookies', async () => {
    server = await startServer();
    const [a, b] = await openSockets(2);
    if (a === undefined || b === undefined) throw new Error('sockets');
    const random = randomBytes(32);
    a.socket.send(clientHello(random, Buffer.alloc(0)), server.port, '127.0.0.1');
    await waitFor(() => a.replies.length === 1);
    const cookie = cookieIn(a.replies[0] ?? Buffer.alloc(0));

    for (let i = 0; i < 200; i++) a.socket.send(clientHello(random, randomBytes(32), 1), server.port, '127.0.0.1');
    b.socket.send(clientHello(random, cookie, 1), server.port, '127.0.0.1'); // a's cookie from b's port
    await waitFor(() => server?.socket.stats.helloVerifyRequests === 202);

    expect([server.socket.handshakeCount, server.socket.sessionCount]).toEqual([0, 0]);
  });

  it('completes a real handshake right after the flood', async () => {
    server = await startServer();
    const peers = await openSockets(20);
    for (let i = 0; i < 100; i++) for (const { socket } of peers) socket.send(clientHello(randomBytes(32), Buffer.alloc(0)), server.port, '127.0.0.1');

    const client = await DtlsClient.connect({ address: '127.0.0.1', port: server.port, identity: 'device-2', psk: KEYS['device-2'] ?? Buffer.alloc(0) });
    await client.send(Buffer.from('made it'));
    await waitFor(() => server?.received.length === 1);
    await client.close();

    expect(server.received[0]?.data.toString()).toBe('made it');
  });
});

describe('DtlsSocket handshakes in progress', () => {
  it('one host holding every slot it can get does not stop a real device: slots are capped per source and per /24', async () => {
    server = await startServer({ maxHandshakes: 20, maxHandshakesPerSource: 8, maxHandshakesPerSubnet: 12 });
    // The attacker: one address (127.0.1.1, another /24 than the device's 127.0.0.1), 30 source
    // ports, each with a valid cookie, then silent; a neighbour in its /24 takes what is left there.
    const holdSlots = async (address: string, count: number) => {
      const peers = await openSockets(count, address);
      for (const peer of peers) {
        const random = randomBytes(32);
        peer.socket.send(clientHello(random, Buffer.alloc(0)), server?.port ?? 0, '127.0.0.1');
        await waitFor(() => peer.replies.length >= 1);
        peer.socket.send(clientHello(random, cookieIn(peer.replies[0] ?? Buffer.alloc(0)), 1), server?.port ?? 0, '127.0.0.1');
      }
    };
    await holdSlots('127.0.1.1', 30);
    await waitFor(() => server?.socket.stats.handshakesRejected === 22);
    expect(server.socket.handshakeCount).toBe(8);
    await holdSlots('127.0.1.2', 10);
    await waitFor(() => server?.socket.stats.handshakesRejected === 22 + 6);
    expect(server.socket.handshakeCount).toBe(12);

    const client = await DtlsClient.connect({ address: '127.0.0.1', port: server.port, identity: 'device-2', psk: KEYS['device-2'] ?? Buffer.alloc(0) });
    await client.send(Buffer.from('still in'));
    await waitFor(() => server?.received.length === 1);
    await client.close();
    expect(server.received[0]?.data.toString()).toBe('still in');
    expect(server.socket.stats.handshakesCompleted).toBe(1);
  });

  it('caps handshakes past the cookie at maxHandshakes', async () => {
    server = await startServer({ maxHandshakes: 2 });
    const peers = await openSockets(4);

    for (const peer of peers) {
      const random = randomBytes(32);
      peer.socket.send(clientHello(random, Buffer.alloc(0)), server.port, '127.0.0.1');
      await waitFor(() => peer.replies.length === 1);
      peer.socket.send(clientHello(random, cookieIn(peer.replies[0] ?? Buffer.alloc(0)), 1), server.port, '127.0.0.1');
    }
    await waitFor(() => server?.socket.stats.handshakesRejected === 2);

    expect(server.socket.handshakeCount).toBe(2);
  });

  it('retransmits its flight to a silent client, then gives up and keeps nothing', async () => {
    server = await startServer({ retransmitInitialMs: 20, maxRetransmissions: 2 });
    const failures: string[] = [];
    server.socket.on('handshakeFailure', (error) => failures.push(error.name));
    const [peer] = await openSockets(1);
    if (peer === undefined) throw new Error('socket');
    const random = randomBytes(32);

    peer.socket.send(clientHello(random, Buffer.alloc(0)), server.port, '127.0.0.1');
    await waitFor(() => peer.replies.length === 1);
    peer.socket.send(clientHello(random, cookieIn(peer.replies[0] ?? Buffer.alloc(0)), 1), server.port, '127.0.0.1');
    await waitFor(() => failures.length === 1, 2_000);

    expect(peer.replies).toHaveLength(1 + 3); // HelloVerifyRequest, the flight, two retransmissions
    expect(failures).toEqual(['DtlsHandshakeTimeoutError']);
    expect(server.socket.handshakeCount).toBe(0);
  });

  it('drops a handshake whose client sends no ClientKeyExchange within keyExchangeTimeoutMs, freeing its slot', async () => {
    server = await startServer({ keyExchangeTimeoutMs: 300, retransmitInitialMs: 10_000, maxHandshakes: 1 });
    const failures: string[] = [];
    server.socket.on('handshakeFailure', (error) => failures.push(error.message));
    const [silent, next] = await openSockets(2);
    if (silent === undefined || next === undefined) throw new Error('sockets');
    const random = randomBytes(32);
    silent.socket.send(clientHello(random, Buffer.alloc(0)), server.port, '127.0.0.1');
    await waitFor(() => silent.replies.length === 1);
    silent.socket.send(clientHello(random, cookieIn(silent.replies[0] ?? Buffer.alloc(0)), 1), server.port, '127.0.0.1');
    await waitFor(() => server?.socket.handshakeCount === 1);

    await waitFor(() => failures.length === 1, 5_000, 'the silent handshake dropped');
    expect(failures[0]).toMatch(/no ClientKeyExchange in 300 ms/);
    expect(server.socket.handshakeCount).toBe(0);
    const client = await DtlsClient.connect({ address: '127.0.0.1', port: server.port, identity: 'device-2', psk: KEYS['device-2'] ?? Buffer.alloc(0) });
    await client.close();
    expect(server.socket.stats.handshakesCompleted).toBe(1);
  });

  it('resends its flight when the client repeats its ClientHello', async () => {
    server = await startServer();
    const [peer] = await openSockets(1);
    if (peer === undefined) throw new Error('socket');
    const random = randomBytes(32);
    peer.socket.send(clientHello(random, Buffer.alloc(0)), server.port, '127.0.0.1');
    await waitFor(() => peer.replies.length === 1);
    const second = clientHello(random, cookieIn(peer.replies[0] ?? Buffer.alloc(0)), 1);

    peer.socket.send(second, server.port, '127.0.0.1');
    await waitFor(() => peer.replies.length === 2);
    await sleep(300); // past the resend rate limit
    peer.socket.send(clientHello(random, cookieIn(peer.replies[0] ?? Buffer.alloc(0)), 2), server.port, '127.0.0.1');
    await waitFor(() => peer.replies.length === 3);

    expect(server.socket.handshakeCount).toBe(1);
    expect(server.socket.stats.handshakesStarted).toBe(1);
  });
});
