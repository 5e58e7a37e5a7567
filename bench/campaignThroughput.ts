/** The demo campaign at 200 simulated devices (`FOTA_BENCH_DEVICES`): end-to-end devices updated per second. */
import { LocalStack } from '../local/LocalStack.ts';
import { runDemoCampaign } from '../local/demo.ts';
import type { Benchmark } from './figures.ts';

export const campaignThroughputBenchmark: Benchmark = async () => {
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

