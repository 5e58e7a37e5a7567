/**
 * The AWS emulators themselves: dynalite (DynamoDB) and s3rver (S3) listening on loopback. Started
 * in the process that calls `startEmulatorServers`, which is either the local stack's own
 * process or the emulator child process (local/emulatorProcess.ts) that keeps their CPU off the
 * edge's and the workflow runner's core.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { closeIteratorsOnReturn } from './dynaliteIterators.ts';
import { wholeHashIndexKeys } from './dynaliteIndexKeys.ts';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number; path?: string }) => Server;
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
};

/** Where the emulators listen and keep their data. */
export interface EmulatorServerOptions {
  /** TCP port of dynalite on loopback; any free port by default. */
  readonly dynamoDbPort?: number;
  /** TCP port of s3rver on loopback; any free port by default. */
  readonly s3Port?: number;
  /** A folder for dynalite's LevelDB files and s3rver's objects; in memory / a temp folder when absent. */
  readonly dataDirectory?: string;
}

/** The ports the emulators listen on. */
export interface EmulatorPorts {
  readonly dynamoDbPort: number;
  readonly s3Port: number;
}

/** Running emulators: their ports, and how to stop them. */
export interface EmulatorServers extends EmulatorPorts {
  stop(): Promise<void>;
}

export async function startEmulatorServers(options: EmulatorServerOptions = {}): Promise<EmulatorServers> {
  const closers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    // dynalite 4 closes Query iterators only through `iterator.return`: without this, every Query leaks one.
    closeIteratorsOnReturn();
    // dynalite 4 keys index entries by 24 bits of the table key's hash: colliding entries vanish.
    wholeHashIndexKeys();
    const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDirectory === undefined ? {} : { path: join(options.dataDirectory, 'dynamodb') }) });
    keepConnections(dynamo);
    const dynamoDbPort = await listen(dynamo, options.dynamoDbPort ?? 0);
    // Connections are kept open (below), so closing also ends those the stack's clients still hold.
    closers.push(
      () =>
        new Promise((resolve) => {
          dynamo.close(() => resolve());
          dynamo.closeAllConnections();
        }),
    );

    const s3Directory = options.dataDirectory === undefined ? await mkdtemp(join(tmpdir(), 'fota-s3-')) : join(options.dataDirectory, 's3');
    const s3 = new S3rver({ port: options.s3Port ?? 0, address: '127.0.0.1', silent: true, directory: s3Directory });
    const s3Address = await s3.run();
    if (s3.httpServer !== undefined) keepConnections(s3.httpServer);
    closers.push(async () => {
      const closing = s3.close();
      s3.httpServer?.closeAllConnections();
      await closing;
      if (options.dataDirectory === undefined) await rm(s3Directory, { recursive: true, force: true });
    });
    return { dynamoDbPort, s3Port: s3Address.port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The SDK clients keep their connections alive; a server that closes an idle one (Node's default:
 * after 5 s) just as a request starts on it ends that request with "socket hang up". With the
 * emulators in another process the two sides race for real, so the emulators keep a connection
 * until its client closes it (or the server closes, which closes idle connections).
 */
function keepConnections(server: Server): void {
  server.keepAliveTimeout = 0;
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
