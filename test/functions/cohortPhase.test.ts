import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { planCampaign } from '../../functions/workflow/planCampaign.ts';
import { describeWorkflowError, finalizeCampaign } from '../../functions/workflow/finalizeCampaign.ts';
import { tickCohortPhase } from '../../functions/workflow/cohortPhase.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';

/**
 * The monitor tick of a large cohort against dynalite: releases in parallel within a time budget,
 * in the cohort's order, without spending the rate allowance on devices outside their window.
 */
describe('cohort phase tick at scale', () => {
  let stack: LocalStack;
  let models = 0;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 60_000 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** `size` registrations of a model of their own (written to the registry, no UDP needed) and a planned campaign. */
  async function plannedCampaign(size: number, campaign: Record<string, unknown> = {}) {
    const model = `TICK-${++models}`;
    const now = Date.now();
    for (let i = 0; i < size; i++) {
      const registration: DeviceRegistration = {
        endpoint: `${model.toLowerCase()}-${String(i).padStart(4, '0')}`,
        registrationId: `r${models}x${i}`,
        address: '127.0.0.1',
        port: 40_000 + i,
        lifetimeSeconds: 3600,
        lwm2mVersion: '1.1',
        binding: 'U',
        queueMode: false,
        objectLinks: ['/3/0', '/5/0'],
        supportedFormats: [],
        ownerTask: 'local-edge-1',
        registeredAt: now,
        lastSeen: now,
        model,
        firmwareVersion: '1.0.0',
        timeZone: i % 2 === 0 ? 'Europe/Paris' : 'America/New_York',
      };
      // Held and written 25 to a BatchWriteItem, as the edge registers devices.
      await stack.stores.registrations.register(registration);
    }
    await stack.stores.registrations.flush();
    const image = await stack.stores.images.store({ version: '1.1.0', models: [model] }, buildFirmwarePackage('1.1.0', 512));
    const launched = await launchCampaign(stack.stores, { startExecution: async () => ({ executionId: 'driven-by-the-test' }) }, { name: model, imageId: image.imageId, target: { model }, pollSeconds: 1, ...campaign });
    await planCampaign(stack.stepFunctions.dependencies, { campaignId: launched.campaignId });
    const stored = await stack.stores.campaigns.get(launched.campaignId);
    if (stored === undefined) throw new Error('campaign not stored');
    return stored;
  }

  it('releases a 600-device cohort in one tick, each job scheduled once, and nothing when its budget is spent', async () => {
    const campaign = await plannedCampaign(600);
    const started = Date.now();
    const spent = await tickCohortPhase(stack.stores, campaign, 0, 'download', started, Date.now(), 1, 0);
    expect(spent.tally.byStatus[JobStatus.Pending]).toBe(600);
    expect(spent.changed).toBe(true);

    const tick = await tickCohortPhase(stack.stores, campaign, 0, 'download', started, Date.now(), 1);
    expect(tick.changed).toBe(true);
    expect(tick.tally.byStatus[JobStatus.Ready]).toBe(600);
    const jobs = await stack.stores.jobs.listCohort(campaign.campaignId, 0);
    expect(jobs.filter((job) => job.status === JobStatus.Ready)).toHaveLength(600);
    for (const job of jobs) expect(job.history.filter((h) => h.event === 'scheduled'), job.endpoint).toHaveLength(1);
  }, 60_000);

  it('releases at the rollout rate, in the cohort order, passing over devices outside their download window', async () => {
    // Open for Paris devices only: a window of the current hour in Paris, closed in New York then.
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
    const pad = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const campaign = await plannedCampaign(40, { rate: { devicesPerMinute: 600 }, downloadWindow: { start: pad(hour), end: pad(hour + 1) } });
    const started = Date.now();
    // 600 a minute, 1 s in: an allowance of 11.
    const tick = await tickCohortPhase(stack.stores, campaign, 0, 'download', started - 1000, Date.now(), 1);
    const jobs = await stack.stores.jobs.listCohort(campaign.campaignId, 0);
    const ready = jobs.filter((job) => job.status === JobStatus.Ready).map((job) => job.endpoint);
    expect(tick.tally.byStatus[JobStatus.Ready]).toBe(ready.length);
    expect(ready.length).toBe(11);
    const paris = jobs.map((job) => job.endpoint).filter((endpoint) => Number(endpoint.slice(-4)) % 2 === 0);
    expect(ready).toEqual(paris.slice(0, 11));
  }, 60_000);

  it('lists an edge task its jobs with the attempt each is at, a retried one at its next', async () => {
    const campaign = await plannedCampaign(30);
    const started = Date.now();
    await tickCohortPhase(stack.stores, campaign, 0, 'download', started, Date.now(), 1);
    const ready = await stack.stores.jobs.listCohort(campaign.campaignId, 0);
    // All go to one task; ten of them back off for a minute (a download retried), the others are due now.
    for (const job of ready) expect(await stack.stores.jobs.claim(job, 'paging-task')).toBe(true);
    for (const job of ready.slice(0, 10)) {
      const downloading = await stack.stores.jobs.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: started + 600_000 }, started);
      if (!downloading.success) throw downloading.error;
      expect((await stack.stores.jobs.transition(downloading.data, { kind: 'retry', reason: 'DEVICE_TIMEOUT', notBefore: started + 60_000 }, started)).success).toBe(true);
    }
    const listed = await stack.stores.jobs.listOwned('paging-task');
    expect(listed).toHaveLength(30);
    expect(listed.filter((entry) => entry.attempt === 1).map((entry) => entry.jobKey).sort()).toEqual(ready.slice(0, 10).map((job) => job.jobKey).sort());
  }, 60_000);

  it('rules on a failure written after its tick began (by the edge, on its clock) after that failure: the history never runs backwards', async () => {
    const campaign = await plannedCampaign(2, { retry: { DOWNLOAD_TIMEOUT: { maxAttempts: 2, backoffSeconds: 3 }, DEVICE_TIMEOUT: { maxAttempts: 1, backoffSeconds: 0 } } });
    const started = Date.now();
    await tickCohortPhase(stack.stores, campaign, 0, 'download', started, started, 1);
    const [toRetry, toGiveUp] = (await stack.stores.jobs.listCohort(campaign.campaignId, 0)).sort((a, b) => a.endpoint.localeCompare(b.endpoint));
    // Both fail 5 s after the moment the next tick takes as its "now".
    const failedAt = started + 5_000;
    expect((await stack.stores.jobs.transition(toRetry!, { kind: 'failed', reason: 'DOWNLOAD_TIMEOUT' }, failedAt)).success).toBe(true);
    expect((await stack.stores.jobs.transition(toGiveUp!, { kind: 'failed', reason: 'DEVICE_TIMEOUT' }, failedAt)).success).toBe(true);

    await tickCohortPhase(stack.stores, campaign, 0, 'download', started, started, 1);

    const jobs = await stack.stores.jobs.listCohort(campaign.campaignId, 0);
    const retried = jobs.find((job) => job.endpoint === toRetry?.endpoint);
    const gaveUp = jobs.find((job) => job.endpoint === toGiveUp?.endpoint);
    expect(retried?.status).toBe(JobStatus.Ready);
    expect(gaveUp?.status).toBe(JobStatus.Failed);
    for (const job of [retried, gaveUp]) {
      const times = job?.history.map((entry) => entry.at) ?? [];
      expect(times, JSON.stringify(job?.history)).toEqual([...times].sort((a, b) => a - b));
    }
    // The back-off counts from the verdict, not from before the failure.
    expect(retried?.notBefore).toBeGreaterThanOrEqual(failedAt + 3_000);
  }, 60_000);

  it('asks for a cohort\'s install with one write on the campaign, not one per job; fails a DOWNLOADED job only past its install deadline, counted from its arrival; withdraws the request while paused', async () => {
    // Prepare: three jobs downloaded, the last one 30 s after the others.
    const campaign = await plannedCampaign(3, { installTimeoutSeconds: 60 });
    const started = Date.now();
    await tickCohortPhase(stack.stores, campaign, 0, 'download', started, started, 1);
    const ready = (await stack.stores.jobs.listCohort(campaign.campaignId, 0)).sort((a, b) => a.endpoint.localeCompare(b.endpoint));
    for (const [i, job] of ready.entries()) {
      const at = i === 2 ? started + 30_000 : started;
      const downloaded = await stack.stores.jobs.transition(job, [{ kind: 'downloadStarted', delivery: 'coap-pull', deadline: at + 600_000 }, { kind: 'downloaded' }], at);
      if (!downloaded.success) throw downloaded.error;
    }
    const fresh = async () => (await stack.stores.campaigns.get(campaign.campaignId)) ?? campaign;
    const versions = async () => (await stack.stores.jobs.listCohort(campaign.campaignId, 0)).map((job) => job.version);
    const before = await versions();

    // Act
    await tickCohortPhase(stack.stores, await fresh(), 0, 'install', started, started + 1_000, 1);
    const requested = (await fresh()).installRequestedAt;
    const afterRequest = await versions();
    await tickCohortPhase(stack.stores, await fresh(), 0, 'install', started, started + 61_001, 1);
    const statuses = (await stack.stores.jobs.listCohort(campaign.campaignId, 0)).sort((a, b) => a.endpoint.localeCompare(b.endpoint)).map((job) => [job.status, job.reason]);
    await tickCohortPhase(stack.stores, { ...(await fresh()), status: CampaignStatus.Paused }, 0, 'install', started, started + 62_000, 1);

    // Assess
    expect(requested).toEqual({ '0': started + 1_000 });
    expect(afterRequest).toEqual(before);
    expect(statuses).toEqual([
      // No retry rule for INSTALL_TIMEOUT: the same tick gives its verdict.
      [JobStatus.Failed, 'INSTALL_TIMEOUT'],
      [JobStatus.Failed, 'INSTALL_TIMEOUT'],
      [JobStatus.Downloaded, undefined],
    ]);
    expect((await fresh()).installRequestedAt).toEqual({});
  }, 60_000);

  it('cancels every job that has not started when a campaign fails, and records why', async () => {
    const campaign = await plannedCampaign(120);
    const error = { Error: 'States.Timeout', Cause: '' };
    const summary = await finalizeCampaign(stack.stepFunctions.dependencies, { campaignId: campaign.campaignId, outcome: 'failed', error });
    expect(summary).toMatchObject({ status: 'FAILED', devices: 120, cancelled: 120 });
    const stored = await stack.stores.campaigns.get(campaign.campaignId);
    expect(stored?.failureCause).toBe('States.Timeout');
    const lambdaError = { Error: 'Error', Cause: JSON.stringify({ errorType: 'CampaignNotFoundError', errorMessage: 'campaign x does not exist', trace: [] }) };
    expect(describeWorkflowError(lambdaError)).toBe('Error: CampaignNotFoundError: campaign x does not exist');
    expect(describeWorkflowError(undefined)).toBe('a workflow task failed');
  }, 60_000);
});
