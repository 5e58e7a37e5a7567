import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { Edge } from '../../coap-edge/Edge.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import type { Fleet } from '../../sim/Fleet.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { describeUnsucceeded, expectNothingLost, startScenario } from '../integration/scenarioHelpers.ts';

/**
 * A rolling deploy: the edge task is told to stop (SIGTERM) in the middle of a campaign, drains,
 * and a new task with another id takes the same address, as behind the NLB.
 */
describe('an edge task replaced mid-campaign', () => {
  let stack: LocalStack;
  let replacement: Edge | undefined;
  let fleet: Fleet | undefined;
  let keepAlive: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 200, jobPollIntervalMs: 200 });
  });

  afterAll(async () => {
    clearInterval(keepAlive);
    await fleet?.stop();
    await replacement?.stop();
    await stack?.stop();
  });

  it('drains the old task and lets the new one take its devices over, nothing lost', async () => {
    // Slow downloads (16-byte blocks) so that devices are mid-download when the task goes, and
    // the regular Updates devices send, which bring the others to the new task.
    const scenario = await startScenario(stack, {
      size: 12,
      model: 'ROLL-1',
      serverPort: stack.edge.address.port,
      deviceOptions: () => ({ blockSize: 16, lifetimeSeconds: 4 }),
      imageBytes: 6000,
      beforeLaunch: (devices) => {
        keepAlive = setInterval(() => devices.devices.forEach((d) => d.update().catch(() => undefined)), 1500);
      },
    });
    fleet = scenario.fleet;
    await expect.poll(async () => (await stack.stores.jobs.listCampaign(scenario.campaign.campaignId)).filter((j) => j.status === JobStatus.Downloading).length, { timeout: 20_000, interval: 50 }).toBeGreaterThan(2);
    const port = stack.edge.address.port;
    const drained = await stack.edge.drain(5000);
    expect(drained.unfinishedSteps).toBe(0);
    replacement = new Edge({ stores: stack.stores, taskId: 'replacement-task', port, jobPollIntervalMs: 200, logger: createLogger('edge', 'silent') });
    await replacement.start();
    await scenario.done;
    clearInterval(keepAlive);

    const jobs = await stack.stores.jobs.listCampaign(scenario.campaign.campaignId);
    expectNothingLost(jobs, scenario.fleet.devices);
    expect(jobs.filter((job) => job.status === JobStatus.Succeeded), describeUnsucceeded(jobs)).toHaveLength(12);
    // Devices that were downloading kept pulling blocks from the new task, which took their jobs.
    expect(replacement.takenOverJobs).toBeGreaterThan(0);
    const registrations = (await stack.stores.registrations.list()).filter((d) => d.model === 'ROLL-1');
    expect(new Set(registrations.map((d) => d.ownerTask))).toEqual(new Set(['replacement-task']));
    // Their registrations kept their LwM2M sockets (the devices pull from sockets of their own),
    // so the new task's reads and Execute reached them.
    const ports = new Map(scenario.fleet.devices.map((d) => [d.endpoint, d.port]));
    expect(registrations.filter((d) => d.port !== ports.get(d.endpoint)).map((d) => d.endpoint)).toEqual([]);
  }, 120_000);
});
