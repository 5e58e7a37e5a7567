import { afterEach, describe, expect, it } from 'vitest';
import { AlertDescription } from '../../dtls/constants.ts';
import { DtlsClient, type DtlsClientOptions } from '../../dtls/DtlsClient.ts';
import { DtlsAlertError, DtlsNoSessionError } from '../../dtls/errors.ts';
import type { DtlsSessionInfo, SessionEndReason } from '../../dtls/DtlsSocket.ts';
import { KEYS, LossyRelay, sleep, startServer, waitFor, type TestServer } from './helpers.ts';

let server: TestServer | undefined;
const clients: DtlsClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  await server?.close();
  server = undefined;
});

async function connect(port: number, options: Partial<DtlsClientOptions> = {}): Promise<DtlsClient> {
  const client = await DtlsClient.connect({ address: '127.0.0.1', port, identity: 'device-1', psk: KEYS['device-1'] ?? Buffer.alloc(0), timeoutMs: 5_000, ...options });
  clients.push(client);
  return client;
}

function repliesOf(client: DtlsClient): string[] {
  const replies: string[] = [];
  client.on('message', (data) => replies.push(data.toString()));
  return replies;
}

describe('DtlsSocket sessions', () => {
  it('completes a PSK handshake and hands over decrypted datagrams with the device identity', async () => {
    server = await startServer();
    const sessions: DtlsSessionInfo[] = [];
    server.socket.on('session', (info) => sessions.push(info));

    const client = await connect(server.port);
    const replies = repliesOf(client);
    await client.send(Buffer.from('hello'));
    await waitFor(() => replies.length === 1);

    expect(server.received[0]?.data.toString()).toBe('hello');
    expect(replies).toEqual(['echo:hello']);
    expect(sessions).toEqual([{ identity: 'device-1', address: '127.0.0.1', port: client.localPort, connectionId: false, extendedMasterSecret: true, resumed: false }]);
    expect(server.socket.sessionFor('127.0.0.1', client.localPort)?.identity).toBe('device-1');
  });

  it('derives the classic master secret when the client does not offer extended_master_secret', async () => {
    server = await startServer();

    const client = await connect(server.port, { extendedMasterSecret: false });
    const replies = repliesOf(client);
    await client.send(Buffer.from('legacy'));
    await waitFor(() => replies.length === 1);

    expect(server.socket.sessionFor('127.0.0.1', client.localPort)?.extendedMasterSecret).toBe(false);
  });

  it('fails an unknown identity with decrypt_error, as a wrong key (no identity is revealed), names it in its own logs and keeps no state', async () => {
    server = await startServer();
    const failures: string[] = [];
    server.socket.on('handshakeFailure', (error) => failures.push(`${error.name}: ${error.message}`));

    const attempt = connect(server.port, { identity: 'stranger' });

    await expect(attempt).rejects.toMatchObject({ name: 'DtlsAlertError', description: AlertDescription.DecryptError, sentByPeer: true });
    expect(failures).toEqual(['DtlsAlertError: unknown PSK identity "stranger"']);
    expect([server.socket.handshakeCount, server.socket.sessionCount]).toEqual([0, 0]);
  });

  it('fails a wrong key with decrypt_error and then serves the next client', async () => {
    server = await startServer();

    const attempt = connect(server.port, { psk: Buffer.from('not the key') });

    await expect(attempt).rejects.toBeInstanceOf(DtlsAlertError);
    await expect(attempt).rejects.toMatchObject({ description: AlertDescription.DecryptError });
    const good = await connect(server.port);
    const replies = repliesOf(good);
    await good.send(Buffer.from('next'));
    await waitFor(() => replies.length === 1);
    expect(server.socket.sessionCount).toBe(1);
  });

  it('ignores a replayed record', async () => {
    server = await startServer();
    const client = await connect(server.port);
    const record = client.seal(Buffer.from('once'));

    await client.sendRaw(record);
    await client.sendRaw(record);
    await waitFor(() => server?.socket.stats.replaysDropped === 1);

    expect(server.received.map((r) => r.data.toString())).toEqual(['once']);
  });

  it('drops a tampered record and keeps the session', async () => {
    server = await startServer();
    const client = await connect(server.port);
    const tampered = client.seal(Buffer.from('tampered'));
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;

    await client.sendRaw(tampered);
    await client.send(Buffer.from('intact'));
    await waitFor(() => server?.received.length === 1);

    expect(server.received[0]?.data.toString()).toBe('intact');
    expect(server.socket.stats.recordsDropped).toBe(1);
  });

  it('ignores truncated, oversized and garbage datagrams and keeps the session', async () => {
    server = await startServer();
    const client = await connect(server.port);
    const record = client.seal(Buffer.from('x'));
    const oversized = Buffer.from(record);
    oversized.writeUInt16BE(20_000, 11);

    await client.sendRaw(record.subarray(0, record.length - 3));
    await client.sendRaw(oversized);
    for (let i = 0; i < 50; i++) await client.sendRaw(Buffer.from(Array.from({ length: 1 + ((i * 37) % 300) }, (_, j) => (i * 31 + j * 7) % 256)));
    await client.send(Buffer.from('still here'));
    await waitFor(() => server?.received.length === 1);

    expect(server.received[0]?.data.toString()).toBe('still here');
    expect(server.socket.stats.malformedDatagrams).toBeGreaterThanOrEqual(2);
  });

  it('calls back with DtlsNoSessionError when sending to a peer without a session', async () => {
    server = await startServer();

    const error = await new Promise<Error | null>((resolve) => server?.socket.send(Buffer.from('x'), 0, 1, 9, '127.0.0.1', resolve));

    expect(error).toBeInstanceOf(DtlsNoSessionError);
  });

  it('ends the session when the client says close_notify', async () => {
    server = await startServer();
    const ends: SessionEndReason[] = [];
    server.socket.on('sessionEnd', (_info, reason) => ends.push(reason));
    const client = await connect(server.port);

    await client.close();
    await waitFor(() => ends.length === 1);

    expect(ends).toEqual(['closed by peer']);
    expect(server.socket.sessionCount).toBe(0);
  });

  it('ends the sessions of a revoked identity and no others', async () => {
    server = await startServer();
    const ends: [string, SessionEndReason][] = [];
    server.socket.on('sessionEnd', (info, reason) => ends.push([info.identity, reason]));
    await connect(server.port);
    const other = await connect(server.port, { identity: 'device-2', psk: KEYS['device-2'] ?? Buffer.alloc(0) });

    server.socket.revoke('device-1');

    expect(ends).toEqual([['device-1', 'revoked']]);
    expect(server.socket.sessionFor('127.0.0.1', other.localPort)?.identity).toBe('device-2');
  });

  it('fragments its handshake messages to fit a small MTU', async () => {
    server = await startServer({ mtu: 64 });

    const client = await connect(server.port);
    const replies = repliesOf(client);
    await client.send(Buffer.from('small mtu'));
    await waitFor(() => replies.length === 1);

    expect(replies).toEqual(['echo:small mtu']);
  });
});

describe('DtlsSocket connection IDs (RFC 9146)', () => {
  it('routes by connection ID and follows the client to its new address after a NAT rebinding', async () => {
    server = await startServer();
    const moves: number[] = [];
    server.socket.on('addressChange', (info) => moves.push(info.port));
    const client = await connect(server.port, { connectionId: Buffer.from('c1d2') });
    const replies = repliesOf(client);
    const before = client.localPort;

    await client.send(Buffer.from('before'));
    await waitFor(() => replies.length === 1);
    await client.rebind();
    await client.send(Buffer.from('after'));
    await waitFor(() => replies.length === 2);

    expect(client.serverCid).toHaveLength(8);
    expect(replies).toEqual(['echo:before', 'echo:after']);
    expect(moves).toEqual([client.localPort]);
    expect(server.socket.sessionFor('127.0.0.1', client.localPort)).toMatchObject({ identity: 'device-1', connectionId: true });
    expect(server.socket.sessionFor('127.0.0.1', before)).toBeUndefined();
  });

  it('sends plain records to a client that offers an empty connection ID', async () => {
    server = await startServer();
    const client = await connect(server.port, { connectionId: Buffer.alloc(0) });
    const replies = repliesOf(client);

    await client.send(Buffer.from('cid one way'));
    await waitFor(() => replies.length === 1);

    expect(replies).toEqual(['echo:cid one way']);
  });

  it('does not move a session for a replayed record from a new address', async () => {
    server = await startServer();
    const client = await connect(server.port, { connectionId: Buffer.alloc(0) });
    const original = client.localPort;
    const record = client.seal(Buffer.from('first'));
    await client.sendRaw(record);
    await waitFor(() => server?.received.length === 1);

    await client.rebind();
    await client.sendRaw(record);
    await waitFor(() => server?.socket.stats.replaysDropped === 1);

    expect(server.socket.sessionFor('127.0.0.1', original)?.identity).toBe('device-1');
    expect(server.socket.stats.addressChanges).toBe(0);
  });

  it('does not negotiate connection IDs when they are turned off', async () => {
    server = await startServer({ connectionId: false });

    const client = await connect(server.port, { connectionId: Buffer.alloc(0) });

    expect(client.serverCid).toBeUndefined();
  });
});

describe('DtlsSocket retransmission (RFC 6347 §4.2.4)', () => {
  it('resends its ServerHello flight when it is lost', async () => {
    server = await startServer({ retransmitInitialMs: 100 });
    const relay = new LossyRelay(server.port, (direction, index) => direction === 'toClient' && index === 1);

    try {
      const client = await connect(await relay.port, { retransmitMs: 3_000 });
      const replies = repliesOf(client);
      await client.send(Buffer.from('after loss'));
      await waitFor(() => replies.length === 1);
    } finally {
      relay.close();
    }

    expect(server.socket.stats.handshakesCompleted).toBe(1);
  });

  it('resends its final flight when the client repeats its Finished', async () => {
    server = await startServer();
    const relay = new LossyRelay(server.port, (direction, index) => direction === 'toClient' && index === 2);

    try {
      const client = await connect(await relay.port, { retransmitMs: 100 });
      const replies = repliesOf(client);
      await client.send(Buffer.from('after lost finished'));
      await waitFor(() => replies.length === 1);
    } finally {
      relay.close();
    }

    expect(server.socket.stats.handshakesCompleted).toBe(1);
  });
});

describe('DtlsSocket memory bounds', () => {
  it('evicts the least recently active session when maxSessions is reached', async () => {
    server = await startServer({ maxSessions: 2 });
    const ends: SessionEndReason[] = [];
    server.socket.on('sessionEnd', (_info, reason) => ends.push(reason));

    const first = await connect(server.port);
    await sleep(5);
    await connect(server.port);
    await connect(server.port);

    expect(server.socket.sessionCount).toBe(2);
    expect(ends).toEqual(['evicted']);
    expect(server.socket.sessionFor('127.0.0.1', first.localPort)).toBeUndefined();
  });

  it('expires sessions idle longer than sessionIdleTimeoutMs', async () => {
    server = await startServer({ sessionIdleTimeoutMs: 150 });
    const ends: SessionEndReason[] = [];
    server.socket.on('sessionEnd', (_info, reason) => ends.push(reason));

    await connect(server.port);
    await waitFor(() => ends.length === 1, 2_000);

    expect(ends).toEqual(['idle']);
    expect(server.socket.sessionCount).toBe(0);
  });
});
