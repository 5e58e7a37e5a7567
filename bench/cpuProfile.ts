/**
 * CPU profiles of benchmark phases: `FOTA_BENCH_CPU_PROF=DIR npm run bench -- --only NAME` writes
 * one `.cpuprofile` per profiled phase into DIR (open it in Chrome DevTools, or aggregate its self
 * time by function).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/** Runs `phase` under the V8 profiler when FOTA_BENCH_CPU_PROF names a folder, and writes the profile there. */
export async function profiled<T>(name: string, phase: () => Promise<T>): Promise<T> {
  const dir = process.env['FOTA_BENCH_CPU_PROF'];
  if (dir === undefined) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(join(dir, `${name}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  }
}
