/**
 * Starts the emulators (dynalite, s3rver) in a child process of the local stack
 * (local/emulatorProcess.ts), so that the edge and the workflow runner get a core of their own:
 * in one process the emulators took a fifth of its single core (issue 17). The child exits when
 * its IPC channel closes, which `stop` does, and which the parent's death does too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorServerOptions, EmulatorServers } from './emulatorServers.ts';

/** What the child tells its parent once, over IPC. */
export type EmulatorMessage = { readonly kind: 'listening'; readonly dynamoDbPort: number; readonly s3Port: number } | { readonly kind: 'failed'; readonly message: string };

/** How long a stopped child may take to close the emulators before it is killed. */
const STOP_GRACE_MS = 5_000;

export class EmulatorProcessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmulatorProcessError';
  }
}

/** The emulators running in a child process; `pid` is the child's. */
export interface ChildEmulatorServers extends EmulatorServers {
  readonly pid: number;
}

export async function forkEmulatorServers(options: EmulatorServerOptions = {}): Promise<ChildEmulatorServers> {
  const child = fork(fileURLToPath(new URL('./emulatorProcess.ts', import.meta.url)), [JSON.stringify(options)], {
    // Only the TypeScript loader: the parent's flags (a CPU profile, an inspector) stay the parent's.
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listening = await new Promise<Extract<EmulatorMessage, { kind: 'listening' }>>((resolve, reject) => {
    child.once('message', (message: EmulatorMessage) => {
      if (message.kind === 'listening') resolve(message);
      else reject(new EmulatorProcessError(`the emulator process could not start: ${message.message}`));
    });
    child.once('error', (error) => reject(new EmulatorProcessError('the emulator process could not be started', { cause: error })));
    child.once('exit', (code, signal) => reject(new EmulatorProcessError(`the emulator process exited (${signal ?? String(code)}) before it listened`)));
  }).catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
  return { pid: child.pid ?? 0, dynamoDbPort: listening.dynamoDbPort, s3Port: listening.s3Port, stop: () => stopChild(child) };
}

/** Closes the IPC channel (the child then closes its emulators and exits); kills it if it lingers. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  else child.kill();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
