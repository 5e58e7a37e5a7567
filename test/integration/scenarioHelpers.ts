/** What the reliability scenarios share: a fleet of its own model, its campaign, and the invariants. */
import { expect } from 'vitest';
import type { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import type { SimulatedDevice, SimulatedDeviceOptions } from '../../sim/SimulatedDevice.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { isTerminal, JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';

/** Retries as a campaign through a bad network would configure them. */
export const SCENARIO_RETRY = { DEVICE_TIMEOUT: { maxAttempts: 3, backoffSeconds: 0 }, CONNECTION_LOST: { maxAttempts: 3, backoffSeconds: 0 }, DOWNLOAD_TIMEOUT: { maxAttempts: 2, backoffSeconds: 0 } };

export interface ScenarioOptions {
  readonly size: number;
  readonly model: string;
  /** The UDP port the devices talk to: the edge, a proxy or a balancer. */
  readonly serverPort: number;
  readonly deviceOptions?: (i: number) => Partial<SimulatedDeviceOptions>;
  readonly campaign?: Record<string, unknown>;
  readonly batchSize?: number;
  /** Size of the campaign's image. @default 1500 */
  readonly imageBytes?: number;
  /** Runs between registration and launch (e.g. turning a proxy's faults on). */
  readonly beforeLaunch?: (fleet: Fleet) => Promise<void> | void;
}

/** Starts a fleet of a model of its own, waits until the registry knows every device, launches a campaign to them. */
export async function startScenario(stack: LocalStack, options: ScenarioOptions) {
  const { model, size } = options;
  const fleet = new Fleet({ size, serverPort: options.serverPort, endpointPrefix: model.toLowerCase(), batchSize: options.batchSize ?? 25, deviceOptions: (i) => ({ model, firmwareVersion: '1.0.0', blockSize: 512, ...options.deviceOptions?.(i) }) });
  await fleet.start();
  await expect.poll(async () => (await stack.stores.registrations.list()).filter((d) => d.model === model).length, { timeout: 60_000, interval: 250 }).toBe(size);
  await options.beforeLaunch?.(fleet);
  const image = await stack.stores.images.store({ version: '1.1.0', models: [model] }, buildFirmwarePackage('1.1.0', options.imageBytes ?? 1500));
  const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
    name: model,
    imageId: image.imageId,
    target: { model },
    pollSeconds: 1,
    abortFailurePercent: 100,
    downloadTimeoutSeconds: 60,
    installTimeoutSeconds: 60,
    retry: SCENARIO_RETRY,
    ...options.campaign,
  });
  const execution = stack.stepFunctions.executions.get(campaign.executionId);
  if (execution === undefined) throw new Error('the workflow execution did not start');
  return { fleet, campaign, done: execution.done };
}

/** The jobs that did not succeed, with their histories: the message of a failed expectation. */
export function describeUnsucceeded(jobs: readonly FirmwareJob[]): string {
  return JSON.stringify(jobs.filter((j) => j.status !== JobStatus.Succeeded).map((j) => [j.endpoint, j.history.map((h) => `${h.event}>${h.to}${h.detail === undefined ? '' : `:${h.detail}`}`)]));
}

/** Every job in a recorded terminal state, and no device told to install twice. */
export function expectNothingLost(jobs: readonly FirmwareJob[], devices: readonly SimulatedDevice[]): void {
  expect(jobs.filter((job) => !isTerminal(job.status)), describeUnsucceeded(jobs)).toEqual([]);
  // One install per job: an Execute sent again to a device that provably never got the first
  // (executeResent) or after a deferral is still the same install.
  for (const job of jobs) {
    const installs = job.history.filter((h) => h.event === 'updateStarted').length - job.history.filter((h) => h.event === 'deferred').length;
    expect(installs, `${job.endpoint}: ${JSON.stringify(job.history)}`).toBeLessThanOrEqual(1);
  }
  for (const device of devices) {
    const job = jobs.find((j) => j.endpoint === device.endpoint);
    expect(device.updatesExecuted, `${device.endpoint} installed twice: ${JSON.stringify(device.executeLog)} ${JSON.stringify(device.firmwareLog)} ${JSON.stringify(job?.history)}`).toBeLessThanOrEqual(1);
    expect(device.updateExecutesReceived, `${device.endpoint} got Execute Update twice: ${JSON.stringify(device.executeLog)} ${JSON.stringify(job?.history)}`).toBeLessThanOrEqual(1);
  }
}
