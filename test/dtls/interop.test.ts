/**
 * The DTLS server against real clients: OpenSSL's s_client, libcoap's coap-client (through
 * CoapTransport, as the edge will run it) and node-dtls-client.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtls } from 'node-dtls-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DtlsSocket } from '../../dtls/DtlsSocket.ts';
import { CoapTransport } from '../../coap-edge/transport/CoapTransport.ts';
import { KEYS, run, startServer, waitFor, type TestServer } from './helpers.ts';

const hexKey = (identity: string): string => (KEYS[identity] ?? Buffer.alloc(0)).toString('hex');

function sClient(port: number, identity: string, keyHex: string, input: string, endStdin?: Promise<unknown>, extra: readonly string[] = []) {
  const args = ['s_client', '-dtls1_2', '-psk', keyHex, '-psk_identity', identity, '-cipher', 'PSK-AES128-CCM8', '-connect', `127.0.0.1:${port}`, ...extra];
  return run('openssl', args, { input, ...(endStdin === undefined ? {} : { endStdin }), timeoutMs: 10_000 });
}

const sessionFile = (): string => join(tmpdir(), `dtls-session-${process.pid}-${Math.random().toString(36).slice(2)}.pem`);

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('openssl s_client -dtls1_2 -psk', () => {
  it('completes a PSK-AES128-CCM8 handshake and delivers its bytes as plaintext', async () => {
    server = await startServer();
    const delivered = waitFor(() => server?.received.length === 1, 8_000, 'the plaintext');

    const result = await sClient(server.port, 'device-1', hexKey('device-1'), 'hello from openssl\n', delivered);

    expect(server.received[0]?.data.toString()).toBe('hello from openssl\n');
    expect(result.stdout).toContain('Cipher is PSK-AES128-CCM8');
    expect(result.stdout).toContain('Extended master secret: yes');
    expect(result.stdout).toContain('echo:hello from openssl');
  });

  it('handshakes with fragmented server messages under a 64-byte MTU', async () => {
    server = await startServer({ mtu: 64 });
    const delivered = waitFor(() => server?.received.length === 1, 8_000, 'the plaintext');

    const result = await sClient(server.port, 'device-1', hexKey('device-1'), 'fragmented\n', delivered);

    expect(result.stdout).toContain('Cipher is PSK-AES128-CCM8');
    expect(server.received[0]?.data.toString()).toBe('fragmented\n');
  });

  it('gets a fatal alert for a wrong key, and the next good client is served', async () => {
    server = await startServer();

    const wrong = await sClient(server.port, 'device-1', 'deadbeef', 'never\n');
    const delivered = waitFor(() => server?.received.length === 1, 8_000, 'the plaintext');
    const good = await sClient(server.port, 'device-1', hexKey('device-1'), 'good\n', delivered);

    expect(wrong.stdout + wrong.stderr).toMatch(/alert.*decrypt error/i);
    expect(good.stdout).toContain('Cipher is PSK-AES128-CCM8');
    expect(server.received.map((r) => r.data.toString())).toEqual(['good\n']);
  });

  it('gets the same decrypt_error for an identity the server does not know as for a wrong key (RFC 4279 §2: no identity revealed)', async () => {
    server = await startServer();

    const result = await sClient(server.port, 'nobody', 'deadbeef', 'never\n');

    expect(result.stdout + result.stderr).toMatch(/alert.*decrypt error/i);
    expect(result.stdout + result.stderr).not.toMatch(/unknown psk identity/i);
    expect([server.socket.handshakeCount, server.socket.sessionCount]).toEqual([0, 0]);
  });
});

describe('openssl s_client session resumption (-sess_out, -sess_in)', () => {
  async function connectTwice(): Promise<[string, string]> {
    if (server === undefined) throw new Error('no server');
    const file = sessionFile();
    const first = await sClient(server.port, 'device-1', hexKey('device-1'), 'one\n', waitFor(() => server?.received.length === 1, 8_000), ['-sess_out', file]);
    const second = await sClient(server.port, 'device-1', hexKey('device-1'), 'two\n', waitFor(() => server?.received.length === 2, 8_000), ['-sess_in', file]);
    return [first.stdout, second.stdout];
  }

  it('resumes a session with an abbreviated handshake', async () => {
    server = await startServer();
    const resumed: boolean[] = [];
    server.socket.on('session', (info) => resumed.push(info.resumed));

    const [first, second] = await connectTwice();

    expect(first).toContain('New, TLSv1.2, Cipher is PSK-AES128-CCM8');
    expect(second).toContain('Reused, TLSv1.2, Cipher is PSK-AES128-CCM8');
    expect(resumed).toEqual([false, true]);
    expect(server.received.map((r) => r.data.toString())).toEqual(['one\n', 'two\n']);
  });

  it('runs a full handshake instead when the identity was revoked in between', async () => {
    server = await startServer();
    const file = sessionFile();
    await sClient(server.port, 'device-1', hexKey('device-1'), 'one\n', waitFor(() => server?.received.length === 1, 8_000), ['-sess_out', file]);

    server.socket.revoke('device-1');
    const second = await sClient(server.port, 'device-1', hexKey('device-1'), 'two\n', waitFor(() => server?.received.length === 2, 8_000), ['-sess_in', file]);

    expect(second.stdout).toContain('New, TLSv1.2');
    expect(server.socket.stats.handshakesResumed).toBe(0);
  });

  it('issues no session ID when resumption is off', async () => {
    server = await startServer({ resumption: false });

    const result = await sClient(server.port, 'device-1', hexKey('device-1'), 'one\n', waitFor(() => server?.received.length === 1, 8_000));

    expect(result.stdout).toContain('New, TLSv1.2');
    expect(result.stdout).toMatch(/Session-ID: *\n/);
  });
});

describe('coap-client-openssl through CoapTransport', () => {
  let transport: CoapTransport | undefined;
  let sockets: DtlsSocket[] = [];

  afterEach(async () => {
    await transport?.stop();
    transport = undefined;
    sockets = [];
  });

  async function startTransport(): Promise<number> {
    transport = new CoapTransport({
      port: 0,
      socketFactory: () => {
        const socket = new DtlsSocket({ pskLookup: (identity) => Promise.resolve(KEYS[identity.toString('utf8')]) });
        sockets.push(socket);
        return socket;
      },
    });
    transport.onRequest(async (request) => ({ code: '2.05', payload: request.pathSegments[0] === 'large' ? Buffer.alloc(1024, 'x') : Buffer.from('hello') }));
    return (await transport.start()).port;
  }

  it('gets a response to a coaps GET from a CoapTransport handler, and the edge knows the identity', async () => {
    const port = await startTransport();
    const identities: string[] = [];
    sockets[0]?.on('session', (info) => identities.push(info.identity));

    const result = await run('coap-client-openssl', ['-u', 'device-1', '-k', 'secretPSK-1', `coaps://127.0.0.1:${port}/hello`]);

    expect(result.stdout.trim()).toBe('hello');
    expect(identities).toEqual(['device-1']);
  });

  it('fetches a 1 KB payload with -b 64', async () => {
    const port = await startTransport();

    const result = await run('coap-client-openssl', ['-b', '64', '-u', 'device-2', '-k', 'secretPSK-2', `coaps://127.0.0.1:${port}/large`]);

    expect(result.stdout.trim()).toBe('x'.repeat(1024));
  });

  it('fails a wrong key cleanly and answers the next good client', async () => {
    const port = await startTransport();
    const failures: string[] = [];
    sockets[0]?.on('handshakeFailure', (error) => failures.push(error.message));

    const wrong = await run('coap-client-openssl', ['-B', '3', '-u', 'device-1', '-k', 'wrong-key', `coaps://127.0.0.1:${port}/hello`]);
    const good = await run('coap-client-openssl', ['-u', 'device-1', '-k', 'secretPSK-1', `coaps://127.0.0.1:${port}/hello`]);

    expect(wrong.stdout).toContain('alert read:fatal:decrypt error');
    expect(wrong.stdout).not.toMatch(/^hello$/m);
    expect(failures.some((message) => /Finished/.test(message))).toBe(true);
    expect(good.stdout.trim()).toBe('hello');
  });
});

describe('node-dtls-client', () => {
  it('connects with a PSK and exchanges a datagram', async () => {
    server = await startServer();
    const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port: server.port, psk: { 'device-2': 'secretPSK-2' }, timeout: 5_000, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] });

    const reply = await new Promise<string>((resolve, reject) => {
      socket.on('connected', () => socket.send(Buffer.from('from node-dtls-client')));
      socket.on('message', (data: Buffer) => resolve(data.toString()));
      socket.on('error', reject);
    });
    await new Promise<void>((resolve) => socket.close(resolve));

    expect(reply).toBe('echo:from node-dtls-client');
    expect(server.received[0]?.remote.address).toBe('127.0.0.1');
  });
});
