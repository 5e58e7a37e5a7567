import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import coap from 'coap';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { FaultInjectingProxy } from '../../sim/FaultInjectingProxy.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { isTerminal, JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';

function describeJobs(jobs: readonly FirmwareJob[]): string {
  return JSON.stringify(jobs.filter((j) => j.status !== JobStatus.Succeeded).map((j) => [j.endpoint, j.history.map((h) => `${h.event}>${h.to}${h.detail === undefined ? '' : `:${h.detail}`}`)]));
}

/**
 * 200 devices behind a proxy that drops 20% of the datagrams each way, duplicates 10% and
 * reorders 10%: a round trip fails one time in three. Registration goes through a clean network;
 * the whole campaign (Package URI writes, block-wise pull, Execute, re-registration, read-back)
 * goes through the faults.
 */
describe('a campaign through a lossy network', () => {
  let stack: LocalStack;
  let proxy: FaultInjectingProxy;
  let fleet: Fleet;

  beforeAll(async () => {
    // Loopback round trips take microseconds: a 0.5 s ACK timeout (RFC 7252 allows any value
    // above the RTT) keeps the scenario to about a minute instead of several.
    coap.updateTiming({ ackTimeout: 0.5, ackRandomFactor: 1.5, maxRetransmit: 4 });
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 200, jobPollIntervalMs: 200 });
  });

  afterAll(async () => {
    coap.defaultTiming();
    await fleet?.stop();
    await proxy?.stop();
    await stack?.stop();
  });

  it('finishes a 200-device campaign through 20% loss with duplication and reordering, nothing lost, nobody told to install twice', async () => {
    proxy = new FaultInjectingProxy(stack.edge.address, { loss: 0, duplication: 0.1, reordering: 0.1, jitterMs: 5 });
    const proxyPort = await proxy.start();
    fleet = new Fleet({ size: 200, serverPort: proxyPort, endpointPrefix: 'lossy', batchSize: 25, deviceOptions: () => ({ model: 'LOSSY', firmwareVersion: '1.0.0', blockSize: 512 }) });
    await fleet.start();
    await expect.poll(async () => (await stack.stores.registrations.list()).filter((d) => d.model === 'LOSSY').length, { timeout: 60_000, interval: 250 }).toBe(200);
    proxy.setProfile({ loss: 0.2, duplication: 0.1, reordering: 0.1, jitterMs: 5 });
    const image = await stack.stores.images.store({ version: '1.1.0', models: ['LOSSY'] }, buildFirmwarePackage('1.1.0', 1500));
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
      name: 'through a lossy network',
      imageId: image.imageId,
      target: { model: 'LOSSY' },
      pollSeconds: 1,
      abortFailurePercent: 100,
      downloadTimeoutSeconds: 120,
      installTimeoutSeconds: 120,
      retry: { DEVICE_TIMEOUT: { maxAttempts: 3, backoffSeconds: 0 }, CONNECTION_LOST: { maxAttempts: 3, backoffSeconds: 0 }, DOWNLOAD_TIMEOUT: { maxAttempts: 2, backoffSeconds: 0 } },
    });
    await stack.stepFunctions.executions.get(campaign.executionId)?.done;

    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    expect(jobs).toHaveLength(200);
    expect(jobs.filter((job) => !isTerminal(job.status)), describeJobs(jobs)).toEqual([]);
    for (const job of jobs) expect(job.history.filter((h) => h.to === JobStatus.Updating).length, job.endpoint).toBeLessThanOrEqual(1);
    for (const device of fleet.devices) {
      expect(device.updatesExecuted, device.endpoint).toBeLessThanOrEqual(1);
      const job = jobs.find((j) => j.endpoint === device.endpoint);
      expect(device.updateExecutesReceived, `${device.endpoint} ${JSON.stringify(device.executeLog)} ${JSON.stringify(job)}`).toBeLessThanOrEqual(1);
    }
    // A device may run out of attempts when every retransmission is lost; in practice none does.
    expect(jobs.filter((job) => job.status === JobStatus.Succeeded).length, describeJobs(jobs)).toBeGreaterThanOrEqual(196);
    expect(proxy.stats.dropped).toBeGreaterThan(1000);
    expect(proxy.stats.duplicated).toBeGreaterThan(400);
    expect(proxy.stats.reordered).toBeGreaterThan(400);
  }, 300_000);
});
