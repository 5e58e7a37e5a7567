/**
 * Starts the emulators (dynalite, s3rver) in a child process of the local stack
 * (local/emulatorProcess.ts), so that the edge and the workflow runner get a core of their own:
 * in one process the emulators took a fifth of its single core (issue 17). One child serves every
 * stack its parent starts (a Node start costs about 2 s, which a test worker would pay per file);
 * `stop` closes a stack's emulators, and the child exits when its IPC channel closes, which the
 * parent's exit or death does. The channel does not keep the parent alive while nothing waits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorServerOptions, EmulatorServers } from './emulatorServers.ts';

/** What the parent asks of the child. */
export type EmulatorRequest = { readonly kind: 'start'; readonly id: number; readonly options: EmulatorServerOptions } | { readonly kind: 'stop'; readonly id: number };

/** What the child answers, per request id. */
export type EmulatorReply =
  | { readonly kind: 'listening'; readonly id: number; readonly dynamoDbPort: number; readonly s3Port: number }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string }
  | { readonly kind: 'stopped'; readonly id: number };

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

/** The child of this process and the requests it has not answered yet. */
interface SharedChild {
  readonly process: ChildProcess;
  readonly waiting: Map<number, { resolve: (reply: EmulatorReply) => void; reject: (error: Error) => void }>;
}

let shared: SharedChild | undefined;
let lastId = 0;

export async function forkEmulatorServers(options: EmulatorServerOptions = {}): Promise<ChildEmulatorServers> {
  const child = sharedChild();
  const id = ++lastId;
  const reply = await ask(child, { kind: 'start', id, options });
  if (reply.kind !== 'listening') throw new EmulatorProcessError(`the emulator process could not start: ${reply.kind === 'failed' ? reply.message : reply.kind}`);
  let stopped: Promise<void> | undefined;
  // A stack's stop waits for its emulators to close, STOP_GRACE_MS at most (the child closes them anyway).
  const stop = (): Promise<void> => (stopped ??= withinGrace(ask(child, { kind: 'stop', id }).then(() => undefined, () => undefined)));
  return { pid: child.process.pid ?? 0, dynamoDbPort: reply.dynamoDbPort, s3Port: reply.s3Port, stop };
}

/** How long a stack's stop waits for the child to report its emulators closed. */
const STOP_GRACE_MS = 5_000;

function withinGrace(closing: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, STOP_GRACE_MS);
    timer.unref();
  });
  return Promise.race([closing, grace]).finally(() => clearTimeout(timer));
}

function sharedChild(): SharedChild {
  if (shared !== undefined && shared.process.connected) return shared;
  const child: SharedChild = {
    process: fork(fileURLToPath(new URL('./emulatorProcess.ts', import.meta.url)), [], {
      // Only the TypeScript loader: the parent's flags (a CPU profile, an inspector) stay the parent's.
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
    waiting: new Map(),
  };
  child.process.on('message', (reply: EmulatorReply) => {
    child.waiting.get(reply.id)?.resolve(reply);
    child.waiting.delete(reply.id);
    idle(child);
  });
  const gone = (error: Error): void => {
    if (shared === child) shared = undefined;
    for (const waiting of child.waiting.values()) waiting.reject(error);
    child.waiting.clear();
  };
  child.process.once('error', (error) => gone(new EmulatorProcessError('the emulator process could not be started', { cause: error })));
  child.process.once('exit', (code, signal) => gone(new EmulatorProcessError(`the emulator process exited (${signal ?? String(code)})`)));
  child.process.unref();
  shared = child;
  return child;
}

function ask(child: SharedChild, request: EmulatorRequest): Promise<EmulatorReply> {
  return new Promise((resolve, reject) => {
    child.waiting.set(request.id, { resolve, reject });
    // The channel holds this process open only while an answer is awaited.
    child.process.channel?.ref();
    child.process.send(request, (error) => {
      if (error === null) return;
      child.waiting.delete(request.id);
      idle(child);
      reject(new EmulatorProcessError('the emulator process did not take the request', { cause: error }));
    });
  });
}

function idle(child: SharedChild): void {
  if (child.waiting.size === 0) child.process.channel?.unref();
}
