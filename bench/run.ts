/**
 * `npm run bench [-- --json FILE]`: runs the benchmarks, prints their figures as a table, and
 * optionally writes them as one flat JSON object of named numbers. Later benchmarks add their
 * figures to the same object under their own names.
 */
import '../local/quietNode20.ts';
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { LocalStack } from '../local/LocalStack.ts';
import { runDemoCampaign } from '../local/demo.ts';
import { formatTable } from '../cli/terminal.ts';
import { dtlsBenchmark } from './dtls.ts';
import { firmwareBenchmark } from './firmware.ts';
import type { Figure } from './figures.ts';

import { loadTestBenchmark } from './loadTest.ts';
import { blockBenchmark, registrationBenchmark } from './sideBySide.ts';
import { orchestrationCostBenchmark } from './orchestrationCost.ts';
import { campaignOverheadBenchmark } from './campaignOverhead.ts';
import type { Benchmark } from './figures.ts';

/** The demo campaign at 200 simulated devices: end-to-end devices updated per second. */
const campaignThroughput: Benchmark = async () => {
  const devices = Number(process.env['FOTA_BENCH_DEVICES'] ?? 200);
  const stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 250 });
  try {
    const rssBefore = process.memoryUsage().rss;
    const report = await runDemoCampaign(stack, { devices, cohortPercentages: [100], imageBytes: 32 * 1024, quiet: false });
    if (report.succeeded !== devices) throw new Error(`only ${report.succeeded} of ${devices} devices succeeded`);
    return [
      { name: 'campaignDevicesPerSecond', value: report.devicesPerSecond, unit: 'devices/s', description: `demo campaign, ${devices} devices, 32 KiB image, 512 B blocks` },
      { name: 'campaignDurationSeconds', value: report.durationSeconds, unit: 's', description: `wall time of that campaign` },
      { name: 'campaignBlocksServed', value: report.blocksServed, unit: 'blocks', description: 'firmware blocks the edge served' },
      { name: 'campaignRssGrowthMb', value: Math.round((process.memoryUsage().rss - rssBefore) / 1e6), unit: 'MB', description: 'RSS growth of the whole local stack during the campaign' },
    ];
  } finally {
    await stack.stop();
  }
};

const BENCHMARKS: readonly [string, Benchmark][] = [
  ['campaign throughput', campaignThroughput],
  ['campaign overhead: 10 devices, 2 cohorts, API defaults', campaignOverheadBenchmark],
  ['firmware delivery', firmwareBenchmark],
  ['blocks side by side: edge, libcoap, dgram echo', blockBenchmark],
  ['registrations side by side: edge, coap-rd', registrationBenchmark],
  ['DTLS 1.2 PSK (CCM_8)', dtlsBenchmark],
  ['orchestration cost', orchestrationCostBenchmark],
  ['load test: 10,000 devices', loadTestBenchmark],
];

async function main(): Promise<void> {
  const options = new Command()
    .option('--json <file>', 'also write the figures to FILE as one flat JSON object')
    .option('--only <words>', 'run only benchmarks whose name contains one of these comma-separated words')
    .parse()
    .opts<{ json?: string; only?: string }>();
  const only = options.only?.split(',').map((w) => w.trim().toLowerCase());
  const figures: Figure[] = [];
  for (const [name, benchmark] of BENCHMARKS) {
    if (only !== undefined && !only.some((word) => name.toLowerCase().includes(word))) continue;
    process.stdout.write(`\n== ${name}\n`);
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
