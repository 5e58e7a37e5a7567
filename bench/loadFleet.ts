/**
 * The simulated fleet of the load test, in its own process so that the stack's memory figures are
 * the stack's alone (bench/loadTest.ts forks it). Messages from the parent: `{ kind: 'stop' }`.
 * Messages to it: `progress`, `started` (with the devices that could not register), `updated`
 * (devices that executed an update so far, twice a second, for the progress bar: the stack's
 * process need not list every job for it) and, on stop, `stopped` with how many updates each
 * device executed and how many Execute requests it received.
 */
import '../local/quietNode20.ts';
import { Fleet } from '../sim/Fleet.ts';
import { mapWithLimit } from '../core/concurrency.ts';

export type FleetMessage =
  | { readonly kind: 'progress'; readonly registered: number; readonly failed: number }
  | { readonly kind: 'started'; readonly registered: number; readonly failed: readonly string[]; readonly seconds: number }
  | { readonly kind: 'updated'; readonly devices: number }
  | { readonly kind: 'stopped'; readonly updatesExecuted: readonly number[]; readonly executesReceived: readonly number[]; readonly peakRssMb: number };

const [size, serverPort, burst, model] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? 'LOAD-1'];
/**
 * How long a device waits for one firmware block: 30 s, not the tests' 2 s. On a loaded machine a
 * block answered after 2 s made devices give up (Update Result 4, CONNECTION_LOST), retried a
 * minute later by the campaign's policy; a real CoAP client waits up to MAX_TRANSMIT_WAIT (93 s).
 */
const BLOCK_TIMEOUT_MS = 30_000;
const send = (message: FleetMessage): void => void process.send?.(message);

async function main(): Promise<void> {
  // The parent's IPC channel closes when it stops us or dies: no fleet outlives its load test.
  process.once('disconnect', () => process.exit(0));
  if (!Number.isInteger(size) || !Number.isInteger(serverPort) || !Number.isInteger(burst)) throw new Error('usage: loadFleet <devices> <edge port> <burst> [model]');
  const fleet = new Fleet({ size, serverPort, endpointPrefix: 'load', deviceOptions: () => ({ model, firmwareVersion: '1.0.0', blockSize: 1024, lifetimeSeconds: 3600, blockTimeoutMs: BLOCK_TIMEOUT_MS }) });
  const started = Date.now();
  const failed: string[] = [];
  let registered = 0;
  const progress = setInterval(() => send({ kind: 'progress', registered, failed: failed.length }), 500);
  // A burst: `burst` Registers on the wire at once, the next one as soon as any answers.
  await mapWithLimit(fleet.devices, burst, async (device) => {
    try {
      await device.start();
      registered++;
    } catch {
      failed.push(device.endpoint);
    }
  });
  clearInterval(progress);
  send({ kind: 'started', registered, failed, seconds: (Date.now() - started) / 1000 });
  const updated = setInterval(() => send({ kind: 'updated', devices: fleet.devices.filter((device) => device.updatesExecuted > 0).length }), 500);
  process.on('message', (message: { kind?: string }) => {
    if (message.kind !== 'stop') return;
    clearInterval(updated);
    fleet.stop().then(() => {
      send({
        kind: 'stopped',
        updatesExecuted: fleet.devices.map((d) => d.updatesExecuted),
        executesReceived: fleet.devices.map((d) => d.updateExecutesReceived),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      });
      process.disconnect();
    }, (error: unknown) => {
      process.stderr.write(`fleet stop failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
