/**
 * The load test (`npm run bench -- --only load`): 10,000 simulated devices (FOTA_LOAD_DEVICES)
 * register with the local edge in a burst, then take a campaign (1% then 100%, the API's defaults
 * otherwise: a 30 s poll that only backs up the edge's phase wake) through the synthesized workflow. Counts what was lost: devices the registry never recorded, and jobs that
 * did not end in a terminal state (or were never created). The fleet runs in its own process
 * (bench/loadFleet.ts), and so do the emulators (local/emulatorChild.ts): the peak memory and the
 * CPU time printed are the stack process's own, the edge and the workflow runner (its profile
 * during the campaign with FOTA_BENCH_CPU_PROF=DIR: bench/cpuProfile.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LocalStack } from '../local/LocalStack.ts';
import { launchCampaign } from '../functions/api/launchCampaign.ts';
import { isTerminal, JobStatus } from '../core/jobs/jobStateMachine.ts';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';
import { createProgressBar } from '../cli/terminal.ts';
import type { FleetMessage } from './loadFleet.ts';
import type { Figure } from './figures.ts';
import { profiled } from './cpuProfile.ts';

const MODEL = 'LOAD-1';

export async function loadTestBenchmark(): Promise<Figure[]> {
  const devices = Number(process.env['FOTA_LOAD_DEVICES'] ?? 10_000);
  const burst = Number(process.env['FOTA_LOAD_BURST'] ?? 1000);
  // The local stack's own settings: no shortened waits (a phase ends when the edge wakes it).
  const stack = await LocalStack.start({ logLevel: 'silent' });
  const baselineRss = process.memoryUsage.rss();
  let peakRss = baselineRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 250);
  let child: ChildProcess | undefined;
  try {
    child = fork(fileURLToPath(new URL('./loadFleet.ts', import.meta.url)), [String(devices), String(stack.edge.address.port), String(burst), MODEL], { execArgv: ['--import', 'tsx'] });
    const fleet = child;
    const messages = (kind: FleetMessage['kind']) =>
      new Promise<FleetMessage>((resolve, reject) => {
        const onMessage = (message: FleetMessage) => {
          if (message.kind !== kind) return;
          fleet.off('message', onMessage);
          resolve(message);
        };
        fleet.on('message', onMessage);
        fleet.once('exit', (code) => reject(new Error(`the fleet process exited (${String(code)}) before '${kind}'`)));
      });

    // 1. The burst of registrations.
    const registering = createProgressBar('registering', devices);
    fleet.on('message', (message: FleetMessage) => message.kind === 'progress' && registering.update(message.registered + message.failed));
    const started = await messages('started');
    registering.update(devices);
    registering.stop();
    if (started.kind !== 'started') throw new Error('unexpected message');
    // Every device that got its 2.01 must be in the registry, with the facts read from /3/0.
    const recorded = await waitForCount(() => stack.stores.registrations.list().then((all) => all.filter((d) => d.model === MODEL).length), started.registered, 120_000);
    const lostRegistrations = devices - recorded;
    process.stdout.write(`registered ${recorded} of ${devices} devices in ${started.seconds.toFixed(1)} s (${started.failed.length} gave up, ${burst} at once)\n`);

    // 2. A campaign to all of them.
    const image = await stack.stores.images.store({ version: '1.1.0', models: [MODEL] }, buildFirmwarePackage('1.1.0', 4096));
    const campaignStarted = Date.now();
    const campaignCpu = process.cpuUsage();
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
      name: `load test, ${devices} devices`,
      imageId: image.imageId,
      target: { model: MODEL },
      cohortPercentages: [1, 100],
      // The API's defaults otherwise (a 30 s poll: the safety net), as a release manager runs it.
      downloadTimeoutSeconds: 900,
      installTimeoutSeconds: 900,
      abortFailurePercent: 20,
    });
    const execution = stack.stepFunctions.executions.get(campaign.executionId);
    if (execution === undefined) throw new Error('the workflow execution did not start');
    // Devices that ran the update, as the fleet reports them: listing every job here every few
    // seconds would take the stack's own CPU from the campaign it measures.
    const updating = createProgressBar('updating', recorded);
    const onUpdated = (message: FleetMessage): void => void (message.kind === 'updated' && updating.update(message.devices));
    fleet.on('message', onUpdated);
    await profiled('load-campaign', () => execution.done);
    fleet.off('message', onUpdated);
    updating.stop();
    const campaignSeconds = (Date.now() - campaignStarted) / 1000;
    const cpu = process.cpuUsage(campaignCpu);
    const campaignCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    const terminal = jobs.filter((job) => isTerminal(job.status));
    const succeeded = jobs.filter((job) => job.status === JobStatus.Succeeded).length;
    const lostJobs = recorded - terminal.length;

    // 3. What the devices saw.
    fleet.send({ kind: 'stop' });
    const stopped = await messages('stopped');
    if (stopped.kind !== 'stopped') throw new Error('unexpected message');
    const toldTwice = stopped.executesReceived.filter((count) => count > 1).length + stopped.updatesExecuted.filter((count) => count > 1).length;
    const outcomes = new Map<string, number>();
    for (const job of jobs) {
      const outcome = job.reason === undefined ? job.status : `${job.status} ${job.reason}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    const final = await stack.stores.campaigns.get(campaign.campaignId);
    if (final?.status === "FAILED") process.stdout.write(`${JSON.stringify({ ...final, audit: undefined }).slice(0, 1500)}\n${execution.taskLog.slice(-12).join(" > ")}\n`);
    process.stdout.write(`campaign ${final?.status ?? "?"}, execution ${execution.status}${execution.error === undefined ? "" : ` (${execution.error})`}; jobs: ${[...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')}\n`);
    process.stdout.write(`campaign ${campaign.campaignId}: ${succeeded} of ${recorded} succeeded in ${campaignSeconds.toFixed(1)} s; ${lostJobs} jobs not in a terminal state; ${toldTwice} devices told to install twice\n`);
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return [
      { name: 'loadTestDevices', value: devices, unit: 'devices', description: `simulated devices, ${burst} Registers on the wire at once` },
      { name: 'loadTestRegistrationSeconds', value: round(started.seconds), unit: 's', description: 'wall time of the registration burst' },
      { name: 'loadTestLostRegistrations', value: lostRegistrations, unit: 'devices', description: 'devices missing from the registry afterwards' },
      { name: 'loadTestCampaignSeconds', value: round(campaignSeconds), unit: 's', description: 'campaign launch to its last job terminal (cohorts 1%, 100%; 4 KiB image)' },
      { name: 'loadTestCampaignCpuSeconds', value: round(campaignCpuSeconds), unit: 's', description: 'CPU time of the stack process during the campaign (edge, workflow runner; the emulators run in their own process)' },
      { name: 'loadTestSucceeded', value: succeeded, unit: 'devices', description: 'jobs that ended SUCCEEDED' },
      { name: 'loadTestLostJobs', value: lostJobs, unit: 'jobs', description: 'registered devices whose job is missing or not terminal' },
      { name: 'loadTestToldTwice', value: toldTwice, unit: 'devices', description: 'devices that received Execute Update more than once' },
      { name: 'loadTestPeakRssMb', value: Math.round(peakRss / 1e6), unit: 'MB', description: 'peak RSS of the stack process (edge, workflow runner; not the emulators)' },
      { name: 'loadTestBaselineRssMb', value: Math.round(baselineRss / 1e6), unit: 'MB', description: 'RSS of the stack process before the first device (CDK synth of the workflow, SDKs)' },
      { name: 'loadTestFleetPeakRssMb', value: stopped.peakRssMb, unit: 'MB', description: 'peak RSS of the simulated fleet process' },
    ];
  } finally {
    clearInterval(sampler);
    if (child !== undefined && child.exitCode === null) child.kill();
    await stack.stop();
  }
}

async function waitForCount(count: () => Promise<number>, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await count();
  while (last < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    last = await count();
  }
  return last;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
