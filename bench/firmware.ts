/**
 * Firmware delivery benchmarks on the local stack:
 * - blocksPerSecond: Block2 blocks of 1024 bytes the edge serves per second to N concurrent
 *   fetchers, each pulling the image lock-step with a new token per block (as devices do) from
 *   its own UDP socket.
 * - pushBlocksPerSecond: Block1 blocks of 1024 bytes the edge pushes per second to N concurrent
 *   push-only simulated devices (Write /5/0/0), each acknowledging every block with 2.31.
 * Edge, fetchers and devices share this process and its event loop, so each figure pays for both
 * ends of every exchange.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { generate, parse } from 'coap-packet';
import { LocalStack } from '../local/LocalStack.ts';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';
import { SimulatedDevice } from '../sim/SimulatedDevice.ts';
import { jobKeyFor, type FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../core/jobs/jobStateMachine.ts';
import { decodeBlockOption, encodeBlockOption } from '../core/lwm2m/blockwise.ts';
import type { Figure } from './figures.ts';


const DURATION_MS = 5_000;
const FETCHERS = Number(process.env['FOTA_BENCH_FETCHERS'] ?? 32);
const PUSHED_DEVICES = Number(process.env['FOTA_BENCH_PUSH_DEVICES'] ?? 16);
const IMAGE_BYTES = 256 * 1024;
const SZX_1024 = 6;

export async function firmwareBenchmark(): Promise<Figure[]> {
  const stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 60_000 });
  try {
    const image = await stack.stores.images.store({ version: 'bench', models: ['BENCH'] }, buildFirmwarePackage('bench', IMAGE_BYTES));
    const pull = await blocksPerSecond(stack, image.imageId);
    const push = await pushBlocksPerSecond(stack, image.imageId);
    return [
      { name: 'blocksPerSecond', value: pull, unit: 'blocks/s', description: `Block2 blocks of 1024 B served to ${FETCHERS} concurrent fetchers on loopback (new token per block)` },
      { name: 'pushBlocksPerSecond', value: push, unit: 'blocks/s', description: `Block1 blocks of 1024 B pushed to ${PUSHED_DEVICES} simulated push-only devices at once` },
    ];
  } finally {
    await stack.stop();
  }
}

async function blocksPerSecond(stack: LocalStack, imageId: string): Promise<number> {
  // Jobs owned by no task: only the block server looks at them (by token).
  const tokens = Array.from({ length: FETCHERS }, () => randomBytes(12).toString('base64url'));
  const now = Date.now();
  await stack.stores.jobs.createJobs(
    tokens.map((token, i): FirmwareJob => ({
      campaignId: 'bench',
      jobKey: jobKeyFor(0, `fetcher-${i}`),
      endpoint: `fetcher-${i}`,
      cohort: 0,
      status: JobStatus.Downloading,
      version: 1,
      attempt: 0,
      imageId,
      targetVersion: 'bench',
      downloadToken: token,
      createdAt: now,
      updatedAt: now,
      history: [],
    })),
  );
  const port = stack.edge.address.port;
  await fetchFor(port, tokens[0] ?? '', 200); // warm-up: the image enters the cache
  const served = stack.edge.firmware.stats.blocksServed;
  const started = performance.now();
  await Promise.all(tokens.map((token) => fetchFor(port, token, DURATION_MS)));
  const seconds = (performance.now() - started) / 1000;
  return Math.round((stack.edge.firmware.stats.blocksServed - served) / seconds);
}

/** Fetches the image over and over, block by block, until `durationMs` is up. */
async function fetchFor(port: number, token: string, durationMs: number): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const path = [
    { name: 'Uri-Path' as const, value: Buffer.from('fw') },
    { name: 'Uri-Path' as const, value: Buffer.from(token) },
  ];
  let messageId = Math.floor(Math.random() * 0xffff);
  const deadline = performance.now() + durationMs;
  try {
    let num = 0;
    while (performance.now() < deadline) {
      messageId = (messageId + 1) & 0xffff;
      const more = await fetchBlock(socket, port, path, num, messageId);
      num = more ? num + 1 : 0;
    }
  } finally {
    socket.close();
  }
}

function fetchBlock(socket: Socket, port: number, path: readonly { name: 'Uri-Path'; value: Buffer }[], num: number, messageId: number): Promise<boolean> {
  const token = randomBytes(4);
  const request = generate({ code: 'GET', confirmable: true, messageId, token, options: [...path, { name: 'Block2', value: encodeBlockOption({ num, more: false, szx: SZX_1024 }) }] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`block ${num}: no answer`));
    }, 5_000);
    const onMessage = (message: Buffer): void => {
      const reply = parse(message);
      if (!reply.token.equals(token)) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      const block = reply.options.find((o) => o.name === 'Block2')?.value;
      if (reply.code !== '2.05' || block === undefined) {
        reject(new Error(`block ${num}: ${reply.code}`));
        return;
      }
      resolve(decodeBlockOption(block)?.more === true);
    };
    socket.on('message', onMessage);
    socket.send(request, port, '127.0.0.1');
  });
}

async function pushBlocksPerSecond(stack: LocalStack, imageId: string): Promise<number> {
  const devices = Array.from({ length: PUSHED_DEVICES }, (_, i) => new SimulatedDevice({ endpoint: `pushed-${i}`, serverPort: stack.edge.address.port, deliveryMethod: 1 }));
  await Promise.all(devices.map((device) => device.start()));
  try {
    const registrations = await Promise.all(devices.map((device) => stack.stores.registrations.get(device.endpoint)));
    const pushed = stack.edge.pusher.stats.blocksPushed;
    const started = performance.now();
    let rounds = 0;
    while (performance.now() - started < DURATION_MS) {
      const outcomes = await Promise.all(registrations.map((registration, i) => (registration === undefined ? undefined : stack.edge.pusher.push(`bench-${i}-${rounds}`, registration, imageId))));
      const failed = outcomes.find((outcome) => outcome?.kind !== 'done');
      if (failed !== undefined) throw new Error(`a push ended ${failed?.kind ?? 'without a device'}`);
      rounds++;
    }
    const seconds = (performance.now() - started) / 1000;
    return Math.round((stack.edge.pusher.stats.blocksPushed - pushed) / seconds);
  } finally {
    await Promise.all(devices.map((device) => device.stop()));
  }
}
