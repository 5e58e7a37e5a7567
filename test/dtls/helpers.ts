/** Shared fixtures of the DTLS tests: a server on a loopback port, child processes, a lossy proxy. */
import { spawn } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { DtlsSocket, type DtlsSocketOptions } from '../../dtls/DtlsSocket.ts';

/** Identities and keys the test server knows. libcoap's -k takes the key as text. */
export const KEYS: Readonly<Record<string, Buffer>> = {
  'device-1': Buffer.from('secretPSK-1'),
  'device-2': Buffer.from('secretPSK-2'),
};

export interface TestServer {
  readonly socket: DtlsSocket;
  readonly port: number;
  readonly received: { data: Buffer; remote: RemoteInfo }[];
  close(): Promise<void>;
}

/** A DtlsSocket on 127.0.0.1 that records what it receives and echoes `echo:<data>` back. */
export async function startServer(options: Partial<DtlsSocketOptions> = {}): Promise<TestServer> {
  const socket = new DtlsSocket({ pskLookup: (identity) => Promise.resolve(KEYS[identity.toString('utf8')]), ...options });
  const received: { data: Buffer; remote: RemoteInfo }[] = [];
  socket.on('message', (data, remote) => {
    received.push({ data, remote });
    const reply = Buffer.concat([Buffer.from('echo:'), data]);
    socket.send(reply, 0, reply.length, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket,
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(resolve)),
  };
}

/** Polls until `condition` holds, or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with `input` on stdin, kept open until `endStdin` settles; killed after `timeoutMs`. */
export function run(command: string, args: readonly string[], options: { input?: string; endStdin?: Promise<unknown>; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.write(options.input);
    const end = (): void => void child.stdin.end();
    void (options.endStdin ?? Promise.resolve()).then(end, end);
  });
}

/**
 * A UDP relay between one client and the server that can drop datagrams, to exercise
 * retransmission. `drop(direction, index)` sees each datagram's direction and running index.
 */
export class LossyRelay {
  readonly port: Promise<number>;
  private readonly front: Socket = createSocket('udp4');
  private readonly back: Socket = createSocket('udp4');
  private client: RemoteInfo | undefined;
  private readonly counts = { toServer: 0, toClient: 0 };

  constructor(serverPort: number, drop: (direction: 'toServer' | 'toClient', index: number) => boolean) {
    this.front.on('message', (datagram, remote) => {
      this.client = remote;
      if (!drop('toServer', this.counts.toServer++)) this.back.send(datagram, serverPort, '127.0.0.1');
    });
    this.back.on('message', (datagram) => {
      const client = this.client;
      if (client !== undefined && !drop('toClient', this.counts.toClient++)) this.front.send(datagram, client.port, client.address);
    });
    this.back.bind(0, '127.0.0.1');
    this.port = new Promise((resolve) => this.front.bind(0, '127.0.0.1', () => resolve(this.front.address().port)));
  }

  close(): void {
    this.front.close();
    this.back.close();
  }
}
