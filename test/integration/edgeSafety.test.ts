/**
 * The edge's side of rollout safety, driven step by step (ticks run by hand, steps awaited with
 * `drain`) against the real job store on dynalite and simulated devices over real UDP: nobody is
 * told to install twice, deadlines hold without the workflow, and a background failure is logged
 * and counted instead of ending the process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import type { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { JobExecutor, type JobExecutorOptions } from '../../coap-edge/jobs/JobExecutor.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { FirmwareUpdateState } from '../../core/lwm2m/firmwareUpdate.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import type { FirmwareImage } from '../../core/images/FirmwareImage.ts';
import type { JobStore } from '../../core/ports/JobStore.ts';
import type { DeviceClient, DeviceTarget } from '../../coap-edge/devices/DeviceClient.ts';
import { startDevices, startJob, waitForJob } from './firmwareHelpers.ts';

/** Never ticks by itself: the tests step the executors. */
const BY_HAND = 3_600_000;

describe('the edge never tells a device to install twice, keeps deadlines and survives background failures', () => {
  let stack: LocalStack;
  let image: FirmwareImage;
  const devices: SimulatedDevice[] = [];

  beforeAll(async () => {
    // The stack's own edge answers registrations and serves blocks; its executor does not tick.
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: BY_HAND });
    image = await stack.stores.images.store({ version: '2.0.0', models: ['SAFE-1'] }, buildFirmwarePackage('2.0.0', 2_000));
  });

  afterAll(async () => {
    await Promise.all(devices.map((device) => device.stop()));
    await stack?.stop();
  });

  const executor = (overrides: Partial<JobExecutorOptions> = {}): JobExecutor =>
    new JobExecutor({
      jobs: stack.stores.jobs,
      campaigns: stack.stores.campaigns,
      registrations: stack.stores.registrations,
      devices: stack.edge.devices,
      taskId: 'local-edge-1',
      packageUriBase: `coap://${stack.edge.address.address}:${stack.edge.address.port}`,
      pollIntervalMs: BY_HAND,
      stateCheckIntervalMs: 0,
      images: stack.edge.images,
      logger: createLogger('test-edge', 'silent'),
      ...overrides,
    });

  /**
   * One tick of each executor and every step it started, to the end (drain waits for them). A
   * drained executor takes no further step: each step uses fresh ones.
   */
  const step = async (...executors: JobExecutor[]): Promise<void> => {
    await Promise.all(executors.map((e) => e.tick()));
    await Promise.all(executors.map((e) => e.drain(30_000)));
  };

  const device = async (endpoint: string, options: Partial<Parameters<typeof startDevices>[1][number]> = {}): Promise<SimulatedDevice> => {
    const [started] = await startDevices(stack, [{ endpoint, model: 'SAFE-1', ...options }]);
    if (started === undefined) throw new Error('no device');
    devices.push(started);
    return started;
  };

  /** A job whose device holds the package (Downloaded), driven there by a real download. */
  const downloaded = async (endpoint: string, extra: Partial<FirmwareJob> = {}): Promise<FirmwareJob> => {
    const job = await startJob(stack, endpoint, image, extra, false);
    await step(executor());
    for (;;) {
      const current = await waitForJob(stack, job, (j) => j.status !== JobStatus.Ready);
      if (current.status === JobStatus.Downloaded) return current;
      if (current.status !== JobStatus.Downloading) throw new Error(`download ended ${current.status} ${current.reason ?? ''}`);
      await step(executor());
    }
  };

  /** The workflow's install phase: the cohort's install requested on the campaign. */
  const requestInstall = (job: FirmwareJob): Promise<void> => stack.stores.campaigns.update(job.campaignId, { installRequestedAt: { [String(job.cohort)]: Date.now() } });

  /** The install was claimed and Execute sent, but every retransmission was lost (recorded as the executor records it). */
  const executeLost = async (job: FirmwareJob): Promise<FirmwareJob> => {
    const updating = await stack.stores.jobs.transition(job, { kind: 'updateStarted', deadline: Date.now() + 120_000 }, Date.now());
    if (!updating.success) throw updating.error;
    if (!(await stack.stores.jobs.recordExecuteOutcome(updating.data, 'noAnswer', Date.now()))) throw new Error('the Execute outcome was not recorded');
    return updating.data;
  };

  it('of two tasks that both drive an UPDATING job whose Execute went unanswered, only one sends it again', async () => {
    const sim = await device('resend-race');
    const job = await executeLost(await downloaded('resend-race'));

    // Both list the job as theirs (the former owner's listing is stale after a re-route), and both
    // read the device Downloaded before either acts: the real client, with its reads of /5/0 held
    // at a gate until both executors made one (the interleaving that sent two Executes).
    let atGate = 0;
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const gated: DeviceClient = Object.create(stack.edge.devices, {
      read: {
        value: async (target: DeviceTarget, path: string) => {
          if (path === '/5/0' && ++atGate === 2) openGate();
          if (path === '/5/0') await gate;
          return stack.edge.devices.read(target, path);
        },
      },
    }) as DeviceClient;
    await step(executor({ devices: gated }), executor({ devices: gated }));
    const done = await waitForJob(stack, job);

    expect(sim.updateExecutesReceived, JSON.stringify(sim.executeLog)).toBe(1);
    expect(done.status).toBe(JobStatus.Succeeded);
    expect(done.history.filter((h) => h.event === 'executeResent')).toHaveLength(1);
  });

  it('never sends Execute Update again once the device answered it, even while a read still shows Downloaded', async () => {
    const sim = await device('answered-once');
    const job = await executeLost(await downloaded('answered-once'));
    await stack.stores.jobs.recordExecuteOutcome(job, 'accepted', Date.now());

    await step(executor());

    expect(sim.updateExecutesReceived).toBe(0);
    expect((await stack.stores.jobs.get(job.campaignId, job.jobKey))?.status).toBe(JobStatus.Updating);
  });

  it('does not execute the update on a device that no longer holds the package: the job fails PACKAGE_LOST', async () => {
    const sim = await device('lost-package');
    const job = await downloaded('lost-package');
    // The device lost the package while it waited for the install phase (object 5 back to Idle).
    sim.state = FirmwareUpdateState.Idle;
    await requestInstall(job);

    await step(executor());

    expect(sim.updateExecutesReceived).toBe(0);
    expect(await stack.stores.jobs.get(job.campaignId, job.jobKey)).toMatchObject({ status: JobStatus.Failing, reason: 'PACKAGE_LOST' });
  });

  it('records the version a device reports after an update that did not reach the target on its failed job', async () => {
    await device('mismatch');
    const job = await downloaded('mismatch', { targetVersion: '9.9.9' });
    await requestInstall(job);

    await step(executor());
    const failed = await waitForJob(stack, job);

    expect(failed).toMatchObject({ status: JobStatus.Failing, reason: 'VERSION_MISMATCH', reportedVersion: '2.0.0' });
  });

  it('fails a READY job of an unreachable device with DOWNLOAD_TIMEOUT at the first tick past its deadline, with no workflow running', async () => {
    const deadline = Date.now() + 60_000;
    const job = await startJob(stack, 'never-registered', image, { deadline });
    await step(executor({ clock: () => deadline - 1 }));
    expect((await stack.stores.jobs.get(job.campaignId, job.jobKey))?.status).toBe(JobStatus.Ready);

    await step(executor({ clock: () => deadline + 2_000 }));

    const failed = await stack.stores.jobs.get(job.campaignId, job.jobKey);
    expect(failed).toMatchObject({ status: JobStatus.Failing, reason: 'DOWNLOAD_TIMEOUT' });
    expect((failed?.history.at(-1)?.at ?? Number.NaN) - deadline).toBeLessThan(10_000);
  });

  it('fails an UPDATING job with INSTALL_TIMEOUT at the first tick past its deadline', async () => {
    await device('stuck-install');
    const job = await executeLost(await downloaded('stuck-install'));
    const deadline = (await stack.stores.jobs.get(job.campaignId, job.jobKey))?.deadline ?? 0;

    await step(executor({ clock: () => deadline + 1 }));

    expect(await stack.stores.jobs.get(job.campaignId, job.jobKey)).toMatchObject({ status: JobStatus.Failing, reason: 'INSTALL_TIMEOUT' });
  });

  it('logs and counts a store error in the push-ended path, and the edge keeps serving the job', async () => {
    await device('push-store-error', { deliveryMethod: 1 });
    const job = await startJob(stack, 'push-store-error', image, {}, false);
    // The real store, with its reads failing while `outage` is on (a DynamoDB outage): a fault injector, not a mock.
    let outage = true;
    const jobs: JobStore = Object.create(stack.stores.jobs, {
      get: { value: (campaignId: string, jobKey: string) => (outage ? Promise.reject(new Error('DynamoDB unavailable')) : stack.stores.jobs.get(campaignId, jobKey)) },
    }) as JobStore;
    const lines: string[] = [];
    const edge = executor({ jobs, pusher: stack.edge.pusher, logger: createLogger('test-edge', 'error', (line) => lines.push(line)) });

    await step(edge);
    await expect.poll(() => edge.stats.unexpectedRejections, { timeout: 20_000 }).toBe(1);
    outage = false;
    for (let i = 0; i < 50 && (await stack.stores.jobs.get(job.campaignId, job.jobKey))?.status !== JobStatus.Downloaded; i++) await step(executor({ jobs, pusher: stack.edge.pusher }));

    expect(lines.filter((line) => line.includes('push ended') && line.includes('DynamoDB unavailable'))).toHaveLength(1);
    expect((await stack.stores.jobs.get(job.campaignId, job.jobKey))?.status).toBe(JobStatus.Downloaded);
  });
});
