/**
 * The demo campaign: a fleet of simulated devices registers with the local edge, a generated
 * firmware image is stored, and a real campaign runs through the synthesized workflow until every
 * job is in a terminal state. Returns the figures the report and the benchmark print.
 */
import { JobStatus, isFailure, isTerminal } from '../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import { launchCampaign } from '../functions/api/launchCampaign.ts';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';
import { Fleet } from '../sim/Fleet.ts';
import type { LocalStack } from './LocalStack.ts';
import { createProgressBar } from '../cli/terminal.ts';

export interface DemoOptions {
  readonly devices: number;
  readonly imageBytes?: number;
  readonly cohortPercentages?: readonly number[];
  readonly blockSize?: number;
  readonly quiet?: boolean;
  readonly timeoutMs?: number;
}

export interface DemoReport {
  readonly devices: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
  readonly durationSeconds: number;
  readonly campaignId: string;
  readonly campaignStatus: string;
  readonly executionStatus: string;
  readonly executionError?: string;
  readonly cohorts: number;
  readonly imageBytes: number;
  readonly blocksServed: number;
  readonly devicesPerSecond: number;
  readonly failureReasons: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
}

export async function runDemoCampaign(stack: LocalStack, options: DemoOptions): Promise<DemoReport> {
  const say = (line: string): void => {
    if (options.quiet !== true) process.stdout.write(`${line}\n`);
  };
  const imageBytes = options.imageBytes ?? 32 * 1024;
  const fleet = new Fleet({
    size: options.devices,
    serverPort: stack.edge.address.port,
    deviceOptions: () => ({ model: 'SM-200', firmwareVersion: '2.0.0', blockSize: options.blockSize ?? 512 }),
  });
  const registering = options.quiet === true ? undefined : createProgressBar('registering', options.devices);
  const fleetStarted = fleet.start();
  const fleetProgress = setInterval(() => registering?.update(fleet.devices.filter((d) => d.registrations > 0).length), 200);
  await fleetStarted;
  clearInterval(fleetProgress);
  registering?.update(options.devices);
  registering?.stop();
  await waitFor(async () => (await stack.stores.registrations.list()).filter((d) => d.model === 'SM-200').length >= options.devices, 30_000, 'device facts');

  const image = await stack.stores.images.store({ version: '2.1.0', models: ['SM-200'], notes: 'demo image' }, buildFirmwarePackage('2.1.0', imageBytes));
  say(`image ${image.imageId} v${image.version}, ${image.sizeBytes} bytes, sha256 ${image.sha256.slice(0, 16)}...`);

  const started = Date.now();
  const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
    name: `demo ${new Date(started).toISOString()}`,
    imageId: image.imageId,
    target: { model: 'SM-200' },
    cohortPercentages: options.cohortPercentages ?? [10, 100],
    pollSeconds: 1,
    downloadTimeoutSeconds: 300,
    installTimeoutSeconds: 300,
    abortFailurePercent: 20,
  });
  say(`campaign ${campaign.campaignId} started (cohorts ${(options.cohortPercentages ?? [10, 100]).join('% / ')}%)`);
  const execution = stack.stepFunctions.executions.get(campaign.executionId);
  if (execution === undefined) throw new Error('the workflow execution did not start');

  const bar = options.quiet === true ? undefined : createProgressBar('updating', options.devices);
  const deadline = started + (options.timeoutMs ?? 10 * 60_000);
  let jobs: FirmwareJob[] = [];
  while (execution.status === 'RUNNING') {
    if (Date.now() > deadline) {
      execution.abort();
      throw new Error(`campaign did not finish within ${(options.timeoutMs ?? 600_000) / 1000} s`);
    }
    jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    const finished = jobs.filter((job) => isTerminal(job.status)).length;
    bar?.update(finished, describeCounts(jobs));
    await Promise.race([execution.done, sleep(250)]);
  }
  jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
  bar?.update(jobs.filter((job) => isTerminal(job.status)).length, describeCounts(jobs));
  bar?.stop();
  const durationSeconds = (Date.now() - started) / 1000;
  const final = await stack.stores.campaigns.get(campaign.campaignId);
  const byStatus = countBy(jobs, (job) => job.status);
  const failureReasons = countBy(jobs.filter((job) => isFailure(job.status)), (job) => job.reason ?? 'UNKNOWN');
  await fleet.stop();
  const succeeded = byStatus[JobStatus.Succeeded] ?? 0;
  return {
    devices: options.devices,
    succeeded,
    failed: byStatus[JobStatus.Failed] ?? 0,
    skipped: byStatus[JobStatus.Skipped] ?? 0,
    cancelled: byStatus[JobStatus.Cancelled] ?? 0,
    durationSeconds: round(durationSeconds),
    campaignId: campaign.campaignId,
    campaignStatus: final?.status ?? 'UNKNOWN',
    executionStatus: execution.status,
    ...(execution.error === undefined ? {} : { executionError: execution.error }),
    cohorts: final?.cohortCount ?? 0,
    imageBytes: image.sizeBytes,
    blocksServed: stack.edge.firmware.stats.blocksServed,
    devicesPerSecond: round(succeeded / durationSeconds),
    failureReasons,
    byStatus,
  };
}

function describeCounts(jobs: readonly FirmwareJob[]): string {
  const counts = countBy(jobs, (job) => job.status);
  return Object.entries(counts)
    .map(([status, n]) => `${status.toLowerCase()} ${n}`)
    .join(', ');
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
