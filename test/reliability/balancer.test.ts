import { eventually } from '../integration/eventually.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { UdpBalancer } from '../../local/UdpBalancer.ts';
import { Edge } from '../../coap-edge/Edge.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import type { Fleet } from '../../sim/Fleet.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { describeUnsucceeded, expectNothingLost, startScenario } from '../integration/scenarioHelpers.ts';

/**
 * Two edge processes behind the local model of the NLB: flows idle for 400 ms are forgotten and
 * half of them come back through the other task, as after the NLB's 120 s UDP idle timeout.
 */
const FLOW_IDLE_MS = 400;

describe('two edge processes behind the flow-hashing balancer', () => {
  let stack: LocalStack;
  let second: Edge;
  let balancer: UdpBalancer;
  let fleet: Fleet | undefined;
  let keepAlive: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    // An edge task answers from memory for a device it heard lately only while the device's flow
    // cannot have moved: below the flows' idle timeout, as 60 s is below the NLB's 120 s.
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 200, jobPollIntervalMs: 200, edgeRequests: { registrationMemoryMs: FLOW_IDLE_MS / 2 } });
    second = new Edge({ stores: stack.stores, taskId: 'local-edge-2', port: 0, jobPollIntervalMs: 200, registrationMemoryMs: FLOW_IDLE_MS / 2, logger: createLogger('edge', 'silent') });
    const secondAddress = await second.start();
    balancer = new UdpBalancer([stack.edge.address, secondAddress], FLOW_IDLE_MS);
  });

  afterAll(async () => {
    clearInterval(keepAlive);
    await fleet?.stop();
    await balancer?.stop();
    await second?.stop();
    await stack?.stop();
  });

  it('hands devices over between the tasks when idle flows are re-routed, nothing lost', async () => {
    const balancerPort = await balancer.start();
    const scenario = await startScenario(stack, {
      size: 20,
      model: 'NLB-1',
      serverPort: balancerPort,
      batchSize: 10,
      deviceOptions: () => ({ lifetimeSeconds: 4 }),
      // Devices whose flows expired come back through either task; a regular Update keeps them reachable.
      // The campaign starts once flows have been re-routed (a campaign can end within a second).
      beforeLaunch: async (devices) => {
        keepAlive = setInterval(() => devices.devices.forEach((d) => d.update().catch(() => undefined)), 700);
        await eventually(() => (balancer.stats.reroutes > 0 ? balancer.stats.reroutes : Promise.reject(new Error('no flow re-routed yet'))), { timeoutMs: 20_000, what: 'a flow re-routed to the other task' });
      },
    });
    fleet = scenario.fleet;
    await scenario.done;
    clearInterval(keepAlive);

    const jobs = await stack.stores.jobs.listCampaign(scenario.campaign.campaignId);
    expectNothingLost(jobs, scenario.fleet.devices);
    expect(jobs.filter((job) => job.status === JobStatus.Succeeded), describeUnsucceeded(jobs)).toHaveLength(20);
    for (const device of scenario.fleet.devices) expect(device.updatesExecuted, device.endpoint).toBe(1);
    expect(balancer.stats.reroutes).toBeGreaterThan(0);
    const owners = new Set((await stack.stores.registrations.list()).filter((d) => d.model === 'NLB-1').map((d) => d.ownerTask));
    expect(owners.size).toBe(2);
  }, 180_000);
});
