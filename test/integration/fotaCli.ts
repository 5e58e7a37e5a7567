/** The real `fota` binary, run as a release manager runs it, against a given API. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const execFileAsync = promisify(execFile);

export interface FotaRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runFota(api: string, ...args: string[]): Promise<FotaRun> {
  return runFotaWith(api, {}, ...args);
}

/** The same, with variables added to its environment (FOTA_ACTOR, FOTA_ROLE: who the CLI says it is to the local stack). */
export async function runFotaWith(api: string, env: Readonly<Record<string, string>>, ...args: string[]): Promise<FotaRun> {
  try {
    const { stdout, stderr } = await execFileAsync('node', ['cli/fota.js', '--api', api, ...args], { timeout: 60_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The JSON a successful run printed (the run must have exited 0; its stderr is the failure message). */
export function jsonOf<T>(run: FotaRun): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}
