/**
 * `campaignOverheadSeconds`: what a small campaign with the API's default settings (30 s poll
 * interval) spends beyond its devices' own work. 10 simulated devices, 2 cohorts (50% and 100%),
 * a 4 KiB image; the devices' work in a cohort runs from its first job's download start to its
 * last job's end; the overhead is the campaign's wall time (launch to the execution's end) minus
 * that work summed over the cohorts: planning, phase waits, evaluations, the gate between cohorts.
 */
import { LocalStack } from '../local/LocalStack.ts';
import { Fleet } from '../sim/Fleet.ts';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';
import { launchCampaign } from '../functions/api/launchCampaign.ts';
import { JobStatus } from '../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import type { Benchmark } from './figures.ts';

const DEVICES = 10;
const MODEL = 'OVERHEAD-1';

export const campaignOverheadBenchmark: Benchmark = async () => {
  const stack = await LocalStack.start({ logLevel: 'silent' });
  const fleet = new Fleet({ size: DEVICES, serverPort: stack.edge.address.port, endpointPrefix: 'overhead', deviceOptions: () => ({ model: MODEL, firmwareVersion: '1.0.0' }) });
  try {
    await fleet.start();
    while ((await stack.stores.registrations.list()).filter((device) => device.model === MODEL).length < DEVICES) await new Promise((resolve) => setTimeout(resolve, 100));
    const image = await stack.stores.images.store({ version: '1.1.0', models: [MODEL] }, buildFirmwarePackage('1.1.0', 4096));
    const started = Date.now();
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, { name: 'overhead', imageId: image.imageId, target: { model: MODEL }, cohortPercentages: [50, 100] });
    const execution = stack.stepFunctions.executions.get(campaign.executionId);
    await execution?.done;
    const wallSeconds = (Date.now() - started) / 1000;
    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    if (execution?.status !== 'SUCCEEDED' || jobs.some((job) => job.status !== JobStatus.Succeeded)) throw new Error(`the campaign did not succeed: ${execution?.error ?? execution?.status ?? 'no execution'}`);
    const workSeconds = [...new Set(jobs.map((job) => job.cohort))].reduce((sum, cohort) => sum + deviceWorkSeconds(jobs.filter((job) => job.cohort === cohort)), 0);
    process.stdout.write(`campaign ${wallSeconds.toFixed(1)} s, devices' own work ${workSeconds.toFixed(1)} s (poll interval ${campaign.pollSeconds} s)\n`);
    return [
      { name: 'campaignOverheadSeconds', value: Math.round((wallSeconds - workSeconds) * 10) / 10, unit: 's', description: `${DEVICES} devices, 2 cohorts, API defaults (poll ${campaign.pollSeconds} s): campaign wall time minus the devices' own work (target <= 10)` },
      { name: 'campaignOverheadWallSeconds', value: Math.round(wallSeconds * 10) / 10, unit: 's', description: 'that campaign, launch to the end of its execution' },
    ];
  } finally {
    await fleet.stop();
    await stack.stop();
  }
};

/** From the first download start to the last job's end, in a cohort. */
function deviceWorkSeconds(jobs: readonly FirmwareJob[]): number {
  const starts = jobs.flatMap((job) => job.history.filter((entry) => entry.to === JobStatus.Downloading).map((entry) => entry.at));
  const ends = jobs.map((job) => job.history.at(-1)?.at ?? job.updatedAt);
  return (Math.max(...ends) - Math.min(...starts)) / 1000;
}
