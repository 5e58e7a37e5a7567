import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { UdpBalancer } from '../../local/UdpBalancer.ts';
import { Edge } from '../../coap-edge/Edge.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { isTerminal, JobStatus } from '../../core/jobs/jobStateMachine.ts';

/**
 * Two edge processes behind the local model of the NLB: flows idle for 400 ms are forgotten and
 * half of them come back through the other task, as after the NLB's 120 s UDP idle timeout.
 */
describe('two edge processes behind the flow-hashing balancer', () => {
  let stack: LocalStack;
  let second: Edge;
  let balancer: UdpBalancer;
  let fleet: Fleet;
  let keepAlive: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 200, jobPollIntervalMs: 200 });
    second = new Edge({ stores: stack.stores, taskId: 'local-edge-2', port: 0, jobPollIntervalMs: 200, logger: createLogger('edge', 'silent') });
    const secondAddress = await second.start();
    balancer = new UdpBalancer([stack.edge.address, secondAddress], 400);
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
    fleet = new Fleet({ size: 20, serverPort: balancerPort, endpointPrefix: 'nlb', batchSize: 10, deviceOptions: () => ({ model: 'NLB-1', firmwareVersion: '1.0.0', blockSize: 512, lifetimeSeconds: 2 }) });
    await fleet.start();
    // Devices whose flows expired come back through either task; a regular Update keeps them reachable.
    keepAlive = setInterval(() => void Promise.all(fleet.devices.map((d) => d.update().catch(() => undefined))), 700);
    await expect.poll(async () => (await stack.stores.registrations.list()).filter((d) => d.model === 'NLB-1').length, { timeout: 30_000, interval: 250 }).toBe(20);
    const image = await stack.stores.images.store({ version: '1.1.0', models: ['NLB-1'] }, buildFirmwarePackage('1.1.0', 1500));
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
      name: 'behind the balancer', imageId: image.imageId, target: { model: 'NLB-1' }, pollSeconds: 1, abortFailurePercent: 100,
      downloadTimeoutSeconds: 60, installTimeoutSeconds: 60,
      retry: { DEVICE_TIMEOUT: { maxAttempts: 3, backoffSeconds: 0 }, CONNECTION_LOST: { maxAttempts: 3, backoffSeconds: 0 }, DOWNLOAD_TIMEOUT: { maxAttempts: 2, backoffSeconds: 0 } },
    });
    await stack.stepFunctions.executions.get(campaign.executionId)?.done;
    clearInterval(keepAlive);

    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    const described = JSON.stringify(jobs.filter((j) => j.status !== JobStatus.Succeeded).map((j) => [j.endpoint, j.history.map((h) => `${h.event}>${h.to}${h.detail === undefined ? "" : `:${h.detail}`}`)]));
    expect(jobs.filter((job) => !isTerminal(job.status)), described).toEqual([]);
    expect(jobs.filter((job) => job.status === JobStatus.Succeeded), described).toHaveLength(20);
    for (const job of jobs) expect(job.history.filter((h) => h.to === JobStatus.Updating).length, job.endpoint).toBeLessThanOrEqual(1);
    for (const device of fleet.devices) {
      expect(device.updatesExecuted, device.endpoint).toBe(1);
      expect(device.updateExecutesReceived, device.endpoint).toBe(1);
    }
    expect(balancer.stats.reroutes).toBeGreaterThan(0);
    const owners = new Set((await stack.stores.registrations.list()).filter((d) => d.model === 'NLB-1').map((d) => d.ownerTask));
    expect(owners.size).toBe(2);
  }, 180_000);
});
