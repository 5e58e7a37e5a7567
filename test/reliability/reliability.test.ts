import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import coap from 'coap';
import { LocalStack } from '../../local/LocalStack.ts';
import { Edge } from '../../coap-edge/Edge.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import type { SimulatedDeviceOptions } from '../../sim/SimulatedDevice.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { evaluatePhase } from '../../functions/workflow/evaluatePhase.ts';
import { planCampaign } from '../../functions/workflow/planCampaign.ts';
import { startPhase } from '../../functions/workflow/startPhase.ts';
import { startScenario, expectNothingLost } from '../integration/scenarioHelpers.ts';

describe('reliability scenarios', () => {
  let stack: LocalStack;
  const cleanups: (() => Promise<unknown>)[] = [];
  let modelCount = 0;

  beforeAll(async () => {
    // Loopback round trips take microseconds: a 0.5 s ACK timeout (RFC 7252 allows any value
    // above the RTT) shortens the waits on devices that are gone (rebooted, edge restarted).
    coap.updateTiming({ ackTimeout: 0.5, ackRandomFactor: 1.5, maxRetransmit: 4 });
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 200, jobPollIntervalMs: 200 });
  });

  afterAll(async () => {
    coap.defaultTiming();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await stack?.stop();
  });

  function campaignFor(size: number, serverPort: number, deviceOptions: (i: number) => Partial<SimulatedDeviceOptions> = () => ({})) {
    const scenario = startScenario(stack, { size, model: `REL-${++modelCount}`, serverPort, deviceOptions });
    // A scenario that fails to start is reported by the test awaiting it; only started fleets need stopping.
    scenario.then(({ fleet }) => cleanups.push(() => fleet.stop()), () => undefined);
    return scenario;
  }

  it('recovers devices that reboot and register again in the middle of a download', async () => {
    const { fleet, campaign, done } = await campaignFor(4, stack.edge.address.port, () => ({ blockSize: 16 }));
    await expect.poll(async () => (await stack.stores.jobs.listCampaign(campaign.campaignId)).filter((j) => j.status === JobStatus.Downloading).length, { timeout: 20_000, interval: 50 }).toBeGreaterThan(0);
    const downloading = (await stack.stores.jobs.listCampaign(campaign.campaignId)).filter((j) => j.status === JobStatus.Downloading).map((j) => j.endpoint);
    for (const device of fleet.devices.filter((d) => downloading.includes(d.endpoint))) await device.reboot();
    await done;

    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    expectNothingLost(jobs, fleet.devices);
    expect(jobs.filter((job) => job.status === JobStatus.Succeeded), JSON.stringify(jobs.map((j) => [j.status, j.reason, j.history.map((h) => h.to).join('>')]))).toHaveLength(4);
  }, 120_000);

  it('recovers the work of an edge process killed mid-campaign and restarted', async () => {
    const { fleet, campaign, done } = await campaignFor(20, stack.edge.address.port);
    await expect.poll(async () => (await stack.stores.jobs.listCampaign(campaign.campaignId)).some((j) => j.status !== JobStatus.Pending && j.status !== JobStatus.Ready), { timeout: 20_000 }).toBe(true);
    const port = stack.edge.address.port;
    await stack.edge.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const replacement = new Edge({ stores: stack.stores, taskId: 'local-edge-1', port, jobPollIntervalMs: 200, logger: createLogger('edge', 'silent') });
    await replacement.start();
    cleanups.push(() => replacement.stop());
    await done;

    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    expectNothingLost(jobs, fleet.devices);
    expect(jobs.filter((job) => job.status === JobStatus.Succeeded)).toHaveLength(20);
  }, 180_000);

  it('applies each workflow step once when its Lambda task is invoked twice', async () => {
    const { fleet, done } = await campaignFor(6, stack.edge.address.port, () => ({}));
    // The scenario's own campaign holds its devices until it ends (one firmware job per device at a time).
    await done;
    // A campaign whose workflow is driven by hand, each task run twice at once, as a Lambda retry would.
    const model = fleet.devices[0]?.endpoint.split('-').slice(0, 2).join('-').toUpperCase() ?? '';
    const image = await stack.stores.images.store({ version: '1.2.0', models: [model] }, buildFirmwarePackage('1.2.0', 600));
    const campaign = await stack.stores.campaigns.list().then(() =>
      launchCampaign(stack.stores, { startExecution: async () => ({ executionId: 'manual' }) }, { name: 'twice', imageId: image.imageId, target: { endpoints: fleet.devices.map((d) => d.endpoint) }, pollSeconds: 1 }),
    );
    const twice = <T>(run: () => Promise<T>) => Promise.all([run(), run()]);
    await twice(() => planCampaign(stack.stepFunctions.dependencies, { campaignId: campaign.campaignId }));
    expect(await stack.stores.jobs.listCampaign(campaign.campaignId)).toHaveLength(6);
    const started = Date.now();
    await twice(() => startPhase(stack.stepFunctions.dependencies, { campaignId: campaign.campaignId, cohort: 0, phase: 'download' }));
    for (let i = 0; i < 40; i++) {
      const [a] = await twice(() => evaluatePhase(stack.stepFunctions.dependencies, { campaignId: campaign.campaignId, cohort: 0, phase: 'download', polls: i, pollSeconds: 1, startedAt: started }));
      if (a.complete) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    for (const job of jobs) {
      const events = job.history.map((h) => h.event);
      expect(events.filter((e) => e === 'scheduled'), job.endpoint).toHaveLength(1);
      expect(events.filter((e) => e === 'downloadStarted'), job.endpoint).toHaveLength(1);
      expect(job.version).toBe(job.history.length);
    }
  }, 120_000);

});
