/**
 * DTLS benchmarks: full PSK handshakes per second, and 1 KiB records round-tripped per second
 * through one session. Server (DtlsSocket) and client (DtlsClient) share this process and the
 * loopback interface, so each figure pays for both ends' crypto. The CPU time per handshake says
 * more than the rate on a shared machine. `FOTA_BENCH_CPU_PROF=DIR` writes a V8 CPU profile of
 * the handshake phase there.
 */
import { profiled } from './cpuProfile.ts';
import { DtlsClient } from '../dtls/DtlsClient.ts';
import { DtlsSocket } from '../dtls/DtlsSocket.ts';
import type { Figure } from './figures.ts';


const DURATION_MS = 5_000;
const PARALLEL_HANDSHAKES = 4;
const RECORDS_IN_FLIGHT = 8;
const RECORD_BYTES = 1024;
const IDENTITY = 'bench-device';
const PSK = Buffer.from('bench-psk-0123456789');

async function startServer(): Promise<{ socket: DtlsSocket; port: number }> {
  const socket = new DtlsSocket({ pskLookup: (identity) => Promise.resolve(identity.toString() === IDENTITY ? PSK : undefined), maxSessions: 100_000 });
  socket.on('message', (data, remote) => socket.send(data, 0, data.length, remote.port, remote.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port };
}

interface HandshakeFigures {
  readonly perSecond: number;
  /** User and system CPU time of this process (both ends) per handshake. */
  readonly cpuUsPerHandshake: number;
}

async function handshakes(port: number): Promise<HandshakeFigures> {
  let completed = 0;
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  const deadline = started + DURATION_MS;
  await Promise.all(
    Array.from({ length: PARALLEL_HANDSHAKES }, async () => {
      while (Date.now() < deadline) {
        const client = await DtlsClient.connect({ address: '127.0.0.1', port, identity: IDENTITY, psk: PSK });
        completed++;
        await client.close();
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: completed / ((Date.now() - started) / 1000), cpuUsPerHandshake: (cpu.user + cpu.system) / completed };
}

async function recordsPerSecond(port: number): Promise<number> {
  const client = await DtlsClient.connect({ address: '127.0.0.1', port, identity: IDENTITY, psk: PSK });
  const payload = Buffer.alloc(RECORD_BYTES, 0x5a);
  let returned = 0;
  const started = Date.now();
  const deadline = started + DURATION_MS;
  try {
    await new Promise<void>((resolve, reject) => {
      // A window of records in flight: each echo that returns sends the next, until the deadline.
      client.on('message', () => {
        returned++;
        if (Date.now() < deadline) client.send(payload).catch(reject);
        else if (returned >= RECORDS_IN_FLIGHT) resolve();
      });
      for (let i = 0; i < RECORDS_IN_FLIGHT; i++) client.send(payload).catch(reject);
      // Loopback can drop a datagram under load; do not wait for a lost echo forever.
      setTimeout(resolve, DURATION_MS + 2_000).unref();
    });
  } finally {
    await client.close();
  }
  return returned / ((Date.now() - started) / 1000);
}

/** The DTLS figures for bench/run.ts. */
export async function dtlsBenchmark(): Promise<Figure[]> {
  const server = await startServer();
  try {
    const handshake = await profiled('dtls-handshakes', () => handshakes(server.port));
    const records = await recordsPerSecond(server.port);
    return [
      { name: 'dtlsHandshakesPerSecond', value: Math.round(handshake.perSecond), unit: 'handshakes/s', description: `full PSK-AES128-CCM8 handshakes with cookie exchange, ${PARALLEL_HANDSHAKES} clients in parallel, client and server in one process, loopback` },
      { name: 'dtlsCpuUsPerHandshake', value: Math.round(handshake.cpuUsPerHandshake), unit: 'µs', description: 'CPU time (user + system) of that process per handshake, both ends' },
      { name: 'dtlsBlocksPerSecond', value: Math.round(records), unit: 'records/s', description: `${RECORD_BYTES}-byte records echoed through one session, ${RECORDS_IN_FLIGHT} in flight, both ends encrypting, loopback` },
    ];
  } finally {
    await new Promise<void>((resolve) => server.socket.close(resolve));
  }
}
