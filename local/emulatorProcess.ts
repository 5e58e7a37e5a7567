/**
 * The emulator child process of the local stack (forked by local/emulatorChild.ts): runs pairs of
 * dynalite and s3rver on their own core, one pair per `start` request of its parent (a process
 * that starts several stacks, as a test worker does, forks one child for all of them), tells the
 * parent their ports over IPC, and closes a pair on `stop`. It ends with its parent: when the IPC
 * channel closes (the parent exited or was killed), it closes every pair and exits, so no
 * emulator outlives the process that started it.
 */
import './quietNode20.ts';
import { startEmulatorServers, type EmulatorServers } from './emulatorServers.ts';
import type { EmulatorReply, EmulatorRequest } from './emulatorChild.ts';

const send = (message: EmulatorReply): void => void process.send?.(message);
const running = new Map<number, EmulatorServers>();

async function handle(request: EmulatorRequest): Promise<void> {
  if (request.kind === 'start') {
    try {
      const servers = await startEmulatorServers(request.options);
      running.set(request.id, servers);
      send({ kind: 'listening', id: request.id, dynamoDbPort: servers.dynamoDbPort, s3Port: servers.s3Port });
    } catch (error) {
      send({ kind: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error) });
    }
    return;
  }
  const servers = running.get(request.id);
  running.delete(request.id);
  await servers?.stop();
  send({ kind: 'stopped', id: request.id });
}

if (process.send === undefined) throw new Error('local/emulatorProcess.ts runs as a child of the local stack (an IPC channel is required)');
process.on('message', (request: EmulatorRequest) => {
  handle(request).catch((error: unknown) => send({ kind: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error) }));
});
process.once('disconnect', () => {
  Promise.all([...running.values()].map((servers) => servers.stop())).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
