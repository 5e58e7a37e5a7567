/**
 * The edge alone in a process, for the side-by-side benchmarks (bench/sideBySide.ts): it reaches
 * the emulators of the parent through the store configuration passed as its first argument, so the
 * CPU time and memory it reports over IPC are the edge's own. Run with `--expose-gc` so that a
 * memory figure is taken after a full collection.
 *
 * Messages from the parent: `{ kind: 'usage' }` (answered with `usage`), `{ kind: 'flush' }`
 * (answered with `flushed` once every registration held for its batch is stored), `{ kind: 'stop' }`.
 * Messages to it: `ready` with the edge's UDP port, `usage`, `flushed`.
 */
import '../local/quietNode20.ts';
import type { StoreConfig } from '../store/config.ts';
import { createStores } from '../store/Stores.ts';
import { Edge } from '../coap-edge/Edge.ts';
import { createLogger } from '../coap-edge/logger.ts';

export type EdgeProcessRequest = { readonly kind: 'usage' } | { readonly kind: 'flush' } | { readonly kind: 'stop' };

export type EdgeProcessMessage =
  | { readonly kind: 'ready'; readonly port: number }
  /** Every registration held for its batch is now in the store. */
  | { readonly kind: 'flushed' }
  | {
      readonly kind: 'usage';
      /** CPU time of the process so far (user + system), in milliseconds. */
      readonly cpuMs: number;
      /** V8 heap in use plus memory outside it (Buffers), after a full GC, in bytes. */
      readonly liveBytes: number;
      readonly rssBytes: number;
      readonly blocksServed: number;
      /** DynamoDB calls the edge made so far, by command (BatchGetItemCommand: n). */
      readonly storeCalls: Readonly<Record<string, number>>;
    };

const send = (message: EdgeProcessMessage): void => void process.send?.(message);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as StoreConfig;
  const stores = createStores(config);
  const storeCalls: Record<string, number> = {};
  stores.clients.dynamoClient.middlewareStack.add(
    (next, context) => (args) => {
      storeCalls[context.commandName ?? 'unknown'] = (storeCalls[context.commandName ?? 'unknown'] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchStoreCallCounter' },
  );
  const edge = new Edge({ stores, taskId: 'bench-edge', port: 0, jobPollIntervalMs: 60_000, logger: createLogger('edge', 'silent') });
  await edge.start();
  process.on('message', (request: EdgeProcessRequest) => {
    switch (request.kind) {
      case 'usage': {
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        const memory = process.memoryUsage();
        const cpu = process.cpuUsage();
        send({ kind: 'usage', cpuMs: (cpu.user + cpu.system) / 1000, liveBytes: memory.heapUsed + memory.external, rssBytes: memory.rss, blocksServed: edge.firmware.stats.blocksServed, storeCalls: { ...storeCalls } });
        return;
      }
      case 'flush':
        stores.registrations
          .flush()
          .then(() => send({ kind: 'flushed' }))
          .catch((error: unknown) => process.stderr.write(`flush failed: ${error instanceof Error ? error.message : String(error)}\n`));
        return;
      case 'stop':
        edge
          .stop()
          .catch((error: unknown) => process.stderr.write(`edge stop failed: ${error instanceof Error ? error.message : String(error)}\n`))
          .finally(() => process.exit(0));
        return;
    }
  });
  send({ kind: 'ready', port: edge.address.port });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
