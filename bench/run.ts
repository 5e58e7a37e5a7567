/**
 * `npm run bench [-- --json FILE]`: runs the benchmarks, prints their figures as a table, and
 * optionally writes them as one flat JSON object of named numbers. Later benchmarks add their
 * figures to the same object under their own names.
 */
import '../local/quietNode20.ts';
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { formatTable } from '../cli/terminal.ts';
import type { Benchmark, Figure } from './figures.ts';

/**
 * Each benchmark's module is loaded only when it runs: one run with `--only` loads nothing of the
 * others (the local stack's modules turn on async hooks that tax every promise of the process,
 * which the side-by-side benchmarks' generator and emulators would pay for).
 */
const BENCHMARKS: readonly [string, () => Promise<Benchmark>][] = [
  ['campaign throughput', async () => (await import('./campaignThroughput.ts')).campaignThroughputBenchmark],
  ['campaign overhead: 10 devices, 2 cohorts, API defaults', async () => (await import('./campaignOverhead.ts')).campaignOverheadBenchmark],
  ['firmware delivery', async () => (await import('./firmware.ts')).firmwareBenchmark],
  ['blocks side by side: edge, libcoap, dgram echo', async () => (await import('./sideBySide.ts')).blockBenchmark],
  ['registrations side by side: edge, coap-rd', async () => (await import('./sideBySide.ts')).registrationBenchmark],
  ['DTLS 1.2 PSK (CCM_8)', async () => (await import('./dtls.ts')).dtlsBenchmark],
  ['orchestration cost', async () => (await import('./orchestrationCost.ts')).orchestrationCostBenchmark],
  ['load test: 10,000 devices', async () => (await import('./loadTest.ts')).loadTestBenchmark],
];

async function main(): Promise<void> {
  const options = new Command()
    .option('--json <file>', 'also write the figures to FILE as one flat JSON object')
    .option('--only <words>', 'run only benchmarks whose name contains one of these comma-separated words')
    .parse()
    .opts<{ json?: string; only?: string }>();
  const only = options.only?.split(',').map((w) => w.trim().toLowerCase());
  const figures: Figure[] = [];
  for (const [name, load] of BENCHMARKS) {
    if (only !== undefined && !only.some((word) => name.toLowerCase().includes(word))) continue;
    process.stdout.write(`\n== ${name}\n`);
    const benchmark = await load();
    figures.push(...(await benchmark()));
  }
  process.stdout.write(`\n${formatTable([['figure', 'value', 'unit', 'what'], ...figures.map((f) => [f.name, f.value, f.unit, f.description])])}\n`);
  if (options.json !== undefined) {
    await writeFile(options.json, `${JSON.stringify(Object.fromEntries(figures.map((f) => [f.name, f.value])), null, 2)}\n`);
    process.stdout.write(`\nfigures written to ${options.json}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
