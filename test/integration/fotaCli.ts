/**
 * The `fota` CLI, run as a release manager runs it, against a given API. `runFota` runs a command
 * line in this process through the CLI's entry function (`cli/fotaProgram.ts#runFota`, which
 * `cli/main.ts` calls with the process's streams): the same parsing, requests, output and exit
 * codes, without starting Node and loading the CLI's TypeScript for each command (about 1 s of CPU
 * each, issue 15). `spawnFota` runs the real binary, `node cli/fota.js`, as its own process: each
 * test file that drives the CLI spawns it at least once, so the binary itself is proven too.
 */
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { runFota as runFotaCommandLine } from '../../cli/fotaProgram.ts';

export interface FotaRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a run gets beside its arguments. */
export interface FotaRunOptions {
  /** Variables added to its environment (FOTA_ACTOR, FOTA_ROLE: who the CLI says it is to the local stack). */
  readonly env?: Readonly<Record<string, string>>;
  /** Its standard input (`--key-stdin`). */
  readonly input?: string;
}

export async function runFota(api: string, ...args: string[]): Promise<FotaRun> {
  return runFotaWith(api, {}, ...args);
}

/** The same, with variables added to its environment. */
export async function runFotaWith(api: string, env: Readonly<Record<string, string>>, ...args: string[]): Promise<FotaRun> {
  return runFotaIn(api, { env }, args);
}

/** A command line run in this process, with its own output buffers, environment and standard input. */
export async function runFotaIn(api: string, options: FotaRunOptions, args: readonly string[]): Promise<FotaRun> {
  let stdout = '';
  let stderr = '';
  const code = await runFotaCommandLine(['--api', api, ...args], {
    stdout: { isTTY: false, write: (text) => (stdout += text) },
    stderr: { isTTY: false, write: (text) => (stderr += text) },
    stdin: Readable.from([options.input ?? '']),
    env: { ...process.env, ...options.env },
  });
  return { code, stdout, stderr };
}

/** The real binary, `node cli/fota.js`, as its own process. */
export async function spawnFota(api: string, options: FotaRunOptions, args: readonly string[]): Promise<FotaRun> {
  return new Promise((resolve) => {
    const child = execFile('node', ['cli/fota.js', '--api', api, ...args], { timeout: 60_000, env: { ...process.env, ...options.env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** The JSON a successful run printed (the run must have exited 0; its stderr is the failure message). */
export function jsonOf<T>(run: FotaRun): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}
