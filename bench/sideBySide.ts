/**
 * The edge beside its anchors, with one generator (bench/coapLoad.ts) against every target:
 * - Block2: the edge (in its own process, bench/edgeProcess.ts), libcoap's coap-server holding the
 *   same blob, and a raw Node dgram echo (bench/dgramEcho.ts), in alternating rounds, medians.
 * - Registers: the edge and libcoap's coap-rd, 200 outstanding, 10 objects each; the edge's CPU
 *   time and live memory (after GC) come from its own process over IPC.
 * The emulators (dynalite, s3rver) run in this process, beside the generator: the edge's figures
 * are its own, the emulators' cost is not in them (in AWS it is not in the task either).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulators, type Emulators } from '../local/emulators.ts';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';
import { jobKeyFor, type FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../core/jobs/jobStateMachine.ts';
import { fetchBlocks } from './coapLoad.ts';
import { registerDevices, updateRegistrations } from './registrationLoad.ts';
import type { EdgeProcessMessage, EdgeProcessRequest } from './edgeProcess.ts';
import type { Figure } from './figures.ts';

const run = promisify(execFile);
const CLIENTS = Number(process.env['FOTA_BENCH_FETCHERS'] ?? 32);
const ROUNDS = Number(process.env['FOTA_BENCH_ROUNDS'] ?? 3);
const ROUND_MS = Number(process.env['FOTA_BENCH_ROUND_MS'] ?? 3_000);
const REGISTRATIONS = Number(process.env['FOTA_BENCH_REGISTRATIONS'] ?? 20_000);
const UPDATES = Number(process.env['FOTA_BENCH_UPDATES'] ?? 1_000);
const OUTSTANDING = 200;
const IMAGE_BYTES = 256 * 1024;
const BLOCKS = IMAGE_BYTES / 1024;
/** A 1 KiB block reply of the edge: header, 4-byte token, Content-Format, ETag, Block2, Size2, marker, payload. */
const BLOCK_REPLY_BYTES = 1_052;

interface Target {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly paths: readonly (readonly string[])[];
}

export async function blockBenchmark(): Promise<Figure[]> {
  const emulators = await startEmulators();
  const stops: (() => Promise<void>)[] = [() => emulators.stop()];
  try {
    const image = buildFirmwarePackage('bench', IMAGE_BYTES);
    const tokens = await createDownloadJobs(emulators, image, CLIENTS);
    const edge = await startEdgeProcess(emulators);
    stops.push(() => edge.stop());
    const libcoap = await startLibcoapServer(image);
    stops.push(libcoap.stop);
    const echo = await startDgramEcho();
    stops.push(echo.stop);
    const blobPath = ['fw', 'blob'];
    const targets: Target[] = [
      { name: 'edge', port: edge.port, pid: edge.pid, paths: tokens.map((token) => ['fw', token]) },
      { name: 'libcoap', port: libcoap.port, pid: libcoap.pid, paths: tokens.map(() => blobPath) },
      { name: 'echo', port: echo.port, pid: echo.pid, paths: tokens.map(() => blobPath) },
    ];
    const rates = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const cpuPerBlock = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    // Warm-up: the edge loads the image into its cache and its token grants; JIT everywhere.
    for (const target of targets) await fetchBlocks({ port: target.port, paths: target.paths, blocks: BLOCKS, durationMs: 500 });
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const cpuBefore = await cpuMsOf(target.pid);
        const perSecond = await fetchBlocks({ port: target.port, paths: target.paths, blocks: BLOCKS, durationMs: ROUND_MS });
        const cpuMs = (await cpuMsOf(target.pid)) - cpuBefore;
        rates.get(target.name)?.push(perSecond);
        cpuPerBlock.get(target.name)?.push((cpuMs * 1000) / (perSecond * (ROUND_MS / 1000)));
        process.stdout.write(`round ${round + 1}: ${target.name} ${Math.round(perSecond)} blocks/s, ${cpuMs.toFixed(0)} ms CPU\n`);
      }
    }
    const median = (name: string, of: Map<string, number[]>): number => medianOf(of.get(name) ?? []);
    const [edgeRate, libcoapRate, echoRate] = [median('edge', rates), median('libcoap', rates), median('echo', rates)];
    const description = `${CLIENTS} clients, 1 KiB blocks, new token per block; median of ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`;
    return [
      { name: 'edgeBlocksPerSecond', value: Math.round(edgeRate), unit: 'blocks/s', description: `Block2 from the edge in its own process; ${description}` },
      { name: 'libcoapBlocksPerSecond', value: Math.round(libcoapRate), unit: 'blocks/s', description: `the same from libcoap's coap-server-openssl holding the same blob` },
      { name: 'dgramEchoPerSecond', value: Math.round(echoRate), unit: 'replies/s', description: `a raw Node dgram echo answering ${BLOCK_REPLY_BYTES} B per request` },
      { name: 'edgeToDgramEchoRatio', value: round2(edgeRate / echoRate), unit: 'x', description: 'edge blocks/s over dgram echo replies/s (target >= 0.5)' },
      { name: 'edgeToLibcoapRatio', value: round2(edgeRate / libcoapRate), unit: 'x', description: 'edge blocks/s over libcoap blocks/s' },
      { name: 'edgeCpuUsPerBlock', value: Math.round(median('edge', cpuPerBlock)), unit: 'µs', description: 'CPU time of the edge process per block served' },
      { name: 'libcoapCpuUsPerBlock', value: Math.round(median('libcoap', cpuPerBlock)), unit: 'µs', description: 'CPU time of coap-server per block served' },
      { name: 'dgramEchoCpuUsPerReply', value: Math.round(median('echo', cpuPerBlock)), unit: 'µs', description: 'CPU time of the dgram echo per reply' },
    ];
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

export async function registrationBenchmark(): Promise<Figure[]> {
  const emulators = await startEmulators();
  const stops: (() => Promise<void>)[] = [() => emulators.stop()];
  try {
    const edge = await startEdgeProcess(emulators);
    stops.push(() => edge.stop());
    const rd = await startLibcoap('coap-rd-openssl', []);
    stops.push(rd.stop);

    // The edge: a warm-up, then REGISTRATIONS devices, each answering the edge's Read of /3/0.
    await registerDevices({ port: edge.port, devices: OUTSTANDING, outstanding: OUTSTANDING, prefix: 'warm', answerReads: true });
    await settle();
    const before = await edge.usage();
    const benchCpuBefore = process.cpuUsage();
    const burstStarted = performance.now();
    const burst = await registerDevices({ port: edge.port, devices: REGISTRATIONS, outstanding: OUTSTANDING, prefix: 'bench', firstDevice: OUTSTANDING, answerReads: true });
    // Answered is registered; stored is when the registry holds every one of them (written behind, in batches).
    await edge.flush();
    const storedSeconds = (performance.now() - burstStarted) / 1000;
    const benchCpu = process.cpuUsage(benchCpuBefore);
    await settle();
    const after = await edge.usage();
    const callsPerRegister = Object.entries(after.storeCalls).map(([command, calls]) => `${command.replace(/Command$/, '')} ${((calls - (before.storeCalls[command] ?? 0)) / burst.registered).toFixed(3)}`);
    process.stdout.write(`edge store calls per Register: ${callsPerRegister.join(', ')}\n`);
    process.stdout.write(`edge: ${burst.registered} Registers (${burst.failed} unanswered), ${Math.round(burst.perSecond)}/s, all stored after ${storedSeconds.toFixed(1)} s, edge CPU ${Math.round(after.cpuMs - before.cpuMs)} ms, live memory ${Math.round((after.liveBytes - before.liveBytes) / 1e6)} MB more\n`);

    // Registration Updates from devices that stay open.
    const updating = await registerDevices({ port: edge.port, devices: UPDATES, outstanding: OUTSTANDING, prefix: 'update', firstDevice: OUTSTANDING + REGISTRATIONS, answerReads: false, keepOpen: true });
    // Long-registered devices: their registrations are in the store, not held for their facts.
    await edge.flush();
    await settle();
    const beforeUpdates = await edge.usage();
    const updatesPerSecond = await updateRegistrations(edge.port, updating.open, OUTSTANDING);
    const afterUpdates = await edge.usage();
    for (const device of updating.open) device.socket.close();

    // coap-rd: the same Registers.
    const rdBefore = await rssBytesOf(rd.pid);
    const [rdCpuBefore, generatorCpuBefore] = [await cpuMsOf(rd.pid), process.cpuUsage()];
    const rdBurst = await registerDevices({ port: rd.port, devices: REGISTRATIONS, outstanding: OUTSTANDING, prefix: 'bench', answerReads: false });
    const [rdCpuMs, generatorCpu] = [(await cpuMsOf(rd.pid)) - rdCpuBefore, process.cpuUsage(generatorCpuBefore)];
    const rdAfter = await rssBytesOf(rd.pid);
    process.stdout.write(`coap-rd: ${rdBurst.registered} Registers (${rdBurst.failed} unanswered), ${Math.round(rdBurst.perSecond)}/s\n`);

    const latencies = [...burst.latenciesMs].sort((a, b) => a - b);
    const percentile = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
    const what = `${REGISTRATIONS} LwM2M 1.0 Registers with 10 objects, ${OUTSTANDING} outstanding, each device answering the edge's Read of /3/0`;
    return [
      { name: 'registrationsPerSecond', value: Math.round(burst.perSecond), unit: 'registers/s', description: `edge in its own process; ${what}` },
      { name: 'coapRdRegistrationsPerSecond', value: Math.round(rdBurst.perSecond), unit: 'registers/s', description: `libcoap's coap-rd-openssl, the same Registers` },
      { name: 'registrationsStoredPerSecond', value: Math.round(burst.registered / storedSeconds), unit: 'registers/s', description: 'the same Registers over the time until the registry (dynalite, in the bench process) held every one of them' },
      { name: 'benchCpuMsPerRegistration', value: round3((benchCpu.user + benchCpu.system) / 1000 / burst.registered), unit: 'ms', description: 'CPU time of the bench process per Register until stored: dynalite answering the edge, and the generator playing the devices' },
      { name: 'coapRdCpuMsPerRegistration', value: round3(rdCpuMs / rdBurst.registered), unit: 'ms', description: 'CPU time of coap-rd per Register (its single thread caps its rate at 1 / this)' },
      { name: 'generatorCpuMsPerRegistration', value: round3((generatorCpu.user + generatorCpu.system) / 1000 / rdBurst.registered), unit: 'ms', description: 'CPU time of the bench process per Register to coap-rd: the generator alone (no emulator work)' },
      { name: 'registrationToCoapRdRatio', value: round3(burst.perSecond / rdBurst.perSecond), unit: 'x', description: 'edge Registers/s over coap-rd Registers/s' },
      { name: 'registrationsUnanswered', value: burst.failed, unit: 'devices', description: 'Registers the edge never answered (after 4 retransmissions)' },
      { name: 'registrationP50Ms', value: round1(percentile(0.5)), unit: 'ms', description: 'Register to 2.01, median' },
      { name: 'registrationP99Ms', value: round1(percentile(0.99)), unit: 'ms', description: 'Register to 2.01, 99th percentile (target < 50)' },
      { name: 'bytesPerRegisteredDevice', value: Math.round((after.liveBytes - before.liveBytes) / burst.registered), unit: 'B', description: `growth of the edge process's heap + external memory after GC, per registered device (target <= 3,072)` },
      { name: 'coapRdBytesPerRegisteredDevice', value: Math.round((rdAfter - rdBefore) / rdBurst.registered), unit: 'B', description: 'growth of the RSS of coap-rd per registered device' },
      { name: 'edgeCpuMsPerRegistration', value: round3((after.cpuMs - before.cpuMs) / burst.registered), unit: 'ms', description: 'CPU time of the edge process per Register, the Read of /3/0 and its store writes included' },
      { name: 'registrationUpdatesPerSecond', value: Math.round(updatesPerSecond), unit: 'updates/s', description: `${UPDATES} registration Updates (POST /rd/{id}), ${OUTSTANDING} outstanding` },
      { name: 'edgeCpuMsPerDeviceUpdate', value: round3((afterUpdates.cpuMs - beforeUpdates.cpuMs) / UPDATES), unit: 'ms', description: 'CPU time of the edge process per registration Update (LwM2M Update, POST /rd/{id})' },
    ];
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Jobs in DOWNLOADING owned by no task: only the block server looks at them, by token. */
async function createDownloadJobs(emulators: Emulators, image: Uint8Array, count: number): Promise<string[]> {
  const stored = await emulators.stores.images.store({ version: 'bench', models: ['BENCH'] }, image);
  const tokens = Array.from({ length: count }, () => randomBytes(12).toString('base64url'));
  const now = Date.now();
  await emulators.stores.jobs.createJobs(
    tokens.map((token, i): FirmwareJob => ({
      campaignId: 'bench',
      jobKey: jobKeyFor(0, `fetcher-${i}`),
      endpoint: `fetcher-${i}`,
      cohort: 0,
      status: JobStatus.Downloading,
      version: 1,
      attempt: 0,
      imageId: stored.imageId,
      targetVersion: 'bench',
      downloadToken: token,
      createdAt: now,
      updatedAt: now,
      history: [],
    })),
  );
  return tokens;
}

interface EdgeProcess {
  readonly port: number;
  readonly pid: number;
  usage(): Promise<Extract<EdgeProcessMessage, { kind: 'usage' }>>;
  /** Resolves once the edge has stored every registration it holds for its batch. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** The V8 flags the edge's image runs with (coap-edge/Dockerfile, NODE_OPTIONS). */
const EDGE_NODE_FLAGS = ['--max-semi-space-size=32'];

async function startEdgeProcess(emulators: Emulators): Promise<EdgeProcess> {
  const child = fork(fileURLToPath(new URL('./edgeProcess.ts', import.meta.url)), [JSON.stringify(emulators.config)], { execArgv: ['--expose-gc', ...EDGE_NODE_FLAGS, '--import', 'tsx', ...cpuProfileArgs()] });
  const next = <K extends EdgeProcessMessage['kind']>(kind: K): Promise<Extract<EdgeProcessMessage, { kind: K }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: EdgeProcessMessage): void => {
        if (message.kind !== kind) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<EdgeProcessMessage, { kind: K }>);
      };
      const onExit = (code: number | null): void => reject(new Error(`the edge process exited (${String(code)}) before '${kind}'`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = (request: EdgeProcessRequest): void => void child.send(request);
  const ready = await next('ready');
  return {
    port: ready.port,
    pid: child.pid ?? 0,
    usage: () => {
      const answer = next('usage');
      ask({ kind: 'usage' });
      return answer;
    },
    flush: async () => {
      const answer = next('flushed');
      ask({ kind: 'flush' });
      await answer;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      ask({ kind: 'stop' });
      await exited;
    },
  };
}

/** `FOTA_BENCH_CPU_PROF=DIR`: the edge process writes a V8 CPU profile there when it stops. */
function cpuProfileArgs(): string[] {
  const dir = process.env['FOTA_BENCH_CPU_PROF'];
  return dir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', dir];
}

interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** coap-server holding the image at /fw/blob (a dynamic resource created by a block-wise PUT). */
async function startLibcoapServer(image: Uint8Array): Promise<ServerProcess> {
  const server = await startLibcoap('coap-server-openssl', ['-d', '4']);
  const folder = await mkdtemp(join(tmpdir(), 'fota-bench-'));
  try {
    const file = join(folder, 'image.bin');
    await writeFile(file, image);
    await run('coap-client-openssl', ['-m', 'put', '-b', '1024', '-f', file, `coap://127.0.0.1:${server.port}/fw/blob`]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return server;
}

async function startLibcoap(command: string, args: readonly string[]): Promise<ServerProcess> {
  const port = await freeUdpPort();
  const child = spawn(command, [...args, '-A', '127.0.0.1', '-p', String(port), '-v', '0'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve());
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // until it has bound its socket
  if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
  return { port, pid: child.pid ?? 0, stop: () => stopChild(child) };
}

async function startDgramEcho(): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./dgramEcho.ts', import.meta.url)), String(BLOCK_REPLY_BYTES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the dgram echo exited (${String(code)})`)));
    child.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  return { port, pid: child.pid ?? 0, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** CPU time (user + system) of a process so far, from /proc (Linux), in milliseconds. */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function rssBytesOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Lets the edge finish the work after the last 2.01 (the /3/0 read and its store write). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1_000));
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;
