import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { runDemoCampaign } from '../../local/demo.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { JobStatus, isTerminal } from '../../core/jobs/jobStateMachine.ts';
import type { LocalEventPublisher } from '../../store/events.ts';

describe('a firmware campaign end to end, over real UDP, through the synthesized workflow', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 200 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('updates 12 simulated devices in two cohorts and reads the new version back from each', async () => {
    const report = await runDemoCampaign(stack, { devices: 12, quiet: true, cohortPercentages: [25, 100], imageBytes: 8 * 1024 });

    expect(report).toMatchObject({ devices: 12, succeeded: 12, failed: 0, campaignStatus: 'SUCCEEDED', executionStatus: 'SUCCEEDED', cohorts: 2 });
    const jobs = await stack.stores.jobs.listCampaign(report.campaignId);
    for (const job of jobs) {
      expect(job.reportedVersion).toBe('2.1.0');
      expect(job.history.map((h) => h.to)).toEqual(['READY', 'DOWNLOADING', 'DOWNLOADED', 'UPDATING', 'VERIFYING', 'SUCCEEDED']);
    }
    const devices = await stack.stores.registrations.list();
    expect(devices.filter((d) => d.firmwareVersion === '2.1.0')).toHaveLength(12);
    expect(report.blocksServed).toBeGreaterThanOrEqual(12 * Math.ceil((8 * 1024) / 512));
    // Every transition is published as an event too (the local event log; EventBridge in AWS).
    const published = (stack.stores.events as LocalEventPublisher).events.filter((e) => e.type === 'fota.job.transition' && (e.detail as { campaignId: string }).campaignId === report.campaignId);
    expect(published.filter((e) => (e.detail as { to: string }).to === 'SUCCEEDED')).toHaveLength(12);
    expect(published).toHaveLength(12 * 6);
  });

  it('records a device that rejects a corrupt download as failed with its Update Result, and updates the rest', async () => {
    const fleet = new Fleet({
      size: 4,
      serverPort: stack.edge.address.port,
      endpointPrefix: 'corrupt-test',
      deviceOptions: (i) => ({ model: 'SM-300', firmwareVersion: '1.0.0', ...(i === 2 ? { downloadFailure: 5 } : {}) }),
    });
    await fleet.start();
    try {
      await waitUntil(async () => (await stack.stores.registrations.list()).filter((d) => d.model === 'SM-300').length === 4);
      const image = await stack.stores.images.store({ version: '1.1.0', models: ['SM-300'] }, buildFirmwarePackage('1.1.0', 4096));
      const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
        name: 'one corrupt download',
        imageId: image.imageId,
        target: { model: 'SM-300' },
        pollSeconds: 1,
        abortFailurePercent: 50,
      });
      await stack.stepFunctions.executions.get(campaign.executionId)?.done;

      const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
      expect(jobs.every((job) => isTerminal(job.status))).toBe(true);
      const failed = jobs.filter((job) => job.status === JobStatus.Failed);
      expect(failed.map((job) => [job.endpoint, job.reason, job.updateResult])).toEqual([['corrupt-test-00002', 'INTEGRITY_CHECK_FAILURE', 5]]);
      expect(jobs.filter((job) => job.status === JobStatus.Succeeded)).toHaveLength(3);
      expect((await stack.stores.campaigns.get(campaign.campaignId))?.summary).toMatchObject({ succeeded: 3, failed: 1, failureReasons: { INTEGRITY_CHECK_FAILURE: 1 } });
    } finally {
      await fleet.stop();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
