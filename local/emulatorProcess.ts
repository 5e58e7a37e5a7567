/**
 * The emulator child process of the local stack (forked by local/emulatorChild.ts): runs dynalite
 * and s3rver on their own core, tells the parent their ports over IPC, and ends with its parent:
 * when the IPC channel closes (the parent stopped it, exited or was killed), it closes the
 * emulators and exits, so no emulator outlives the stack that started it.
 */
import './quietNode20.ts';
import { startEmulatorServers, type EmulatorServerOptions } from './emulatorServers.ts';
import type { EmulatorMessage } from './emulatorChild.ts';

const send = (message: EmulatorMessage): void => void process.send?.(message);

async function main(): Promise<void> {
  if (process.send === undefined) throw new Error('local/emulatorProcess.ts runs as a child of the local stack (an IPC channel is required)');
  const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorServerOptions;
  const servers = await startEmulatorServers(options);
  process.once('disconnect', () => {
    servers.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  send({ kind: 'listening', dynamoDbPort: servers.dynamoDbPort, s3Port: servers.s3Port });
}

main().catch((error: unknown) => {
  send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
