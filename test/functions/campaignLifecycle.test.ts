import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { actOnCampaign } from '../../functions/api/campaignActions.ts';
import { planCampaign } from '../../functions/workflow/planCampaign.ts';
import { finalizeCampaign } from '../../functions/workflow/finalizeCampaign.ts';
import { checkApproval } from '../../functions/workflow/checkApproval.ts';
import { tickCohortPhase } from '../../functions/workflow/cohortPhase.ts';
import { triggerCampaign } from '../../functions/shared/campaignLifecycle.ts';
import { applyCampaignTrigger } from '../../core/campaign/lifecycle.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';

/**
 * The lifecycle against dynalite: each change a conditional write on (status, version), and the
 * workflow tasks acting on the status the operator's action set; the rollout rate across a pause
 * with an injected clock, through the real tick and store.
 */
describe('campaign lifecycle in the store and the workflow tasks', () => {
  let stack: LocalStack;
  let models = 0;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 60_000 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** `size` registered devices of a model of their own and a planned (RUNNING) campaign over them; no workflow runs. */
  async function plannedCampaign(size: number, campaign: Record<string, unknown> = {}) {
    const model = `LIFE-${++models}`;
    const now = Date.now();
    for (let i = 0; i < size; i++) {
      const registration: DeviceRegistration = {
        endpoint: `${model.toLowerCase()}-${i}`, registrationId: `l${models}x${i}`, address: '127.0.0.1', port: 42_000 + i, lifetimeSeconds: 3600, lwm2mVersion: '1.1', binding: 'U',
        queueMode: false, objectLinks: ['/3/0', '/5/0'], supportedFormats: [], ownerTask: 'local-edge-1', registeredAt: now, lastSeen: now, model, firmwareVersion: '1.0.0',
      };
      await stack.stores.registrations.put(registration);
    }
    const image = await stack.stores.images.store({ version: '1.1.0', models: [model] }, buildFirmwarePackage('1.1.0', 256));
    const launched = await launchCampaign(stack.stores, { startExecution: () => Promise.resolve({ executionId: 'driven-by-the-test' }) }, { name: model, imageId: image.imageId, target: { model }, pollSeconds: 1, ...campaign });
    await planCampaign(stack.stepFunctions.dependencies, { campaignId: launched.campaignId });
    return launched.campaignId;
  }
  const stored = async (campaignId: string) => {
    const campaign = await stack.stores.campaigns.get(campaignId);
    if (campaign === undefined) throw new Error(`campaign ${campaignId} not stored`);
    return campaign;
  };

  it('refuses a change computed from a version another writer has moved on from', async () => {
    const id = await plannedCampaign(1);
    const seen = await stored(id);
    const pause = applyCampaignTrigger(seen, { kind: 'pause', actor: 'bob' }, Date.now());
    const cancel = applyCampaignTrigger(seen, { kind: 'cancel', actor: 'alice' }, Date.now());
    if (!pause.success || !cancel.success) throw new Error('both legal from RUNNING');
    expect(await stack.stores.campaigns.transition(id, cancel.data)).toBe(true);
    expect(await stack.stores.campaigns.transition(id, pause.data)).toBe(false);
    expect(await stored(id)).toMatchObject({ status: 'CANCELLING', version: seen.version === undefined ? 2 : seen.version + 1 });
  });

  it('decides again from the stored status after a lost write: a pause racing a cancel is refused, not applied', async () => {
    const id = await plannedCampaign(1);
    const [cancel, pause] = await Promise.all([
      triggerCampaign(stack.stores.campaigns, id, { kind: 'cancel', actor: 'alice' }, Date.now),
      triggerCampaign(stack.stores.campaigns, id, { kind: 'pause', actor: 'bob' }, Date.now),
    ]);
    expect(cancel.kind).toBe('applied');
    const campaign = await stored(id);
    expect(campaign.status).toBe('CANCELLING');
    // Either the pause came first and the cancel followed it, or it found the cancel and was refused.
    if (pause.kind === 'applied') expect(campaign.audit?.map((a) => [a.action, a.previous, a.status])).toEqual([['pause', 'RUNNING', 'PAUSED'], ['cancel', 'PAUSED', 'CANCELLING']]);
    else expect(pause).toMatchObject({ kind: 'refused', error: { message: 'cannot pause a campaign that is CANCELLING: cancel is final' } });
  });

  it('releases no burst when resumed after a 60 s pause at 6 a minute (injected clock)', async () => {
    const id = await plannedCampaign(20, { rate: { devicesPerMinute: 6 } });
    const t0 = Date.now();
    const tick = async (at: number) => (await tickCohortPhase(stack.stores, await stored(id), 0, 'download', t0, at, 1)).tally.byStatus[JobStatus.Ready] ?? 0;
    expect(await tick(t0)).toBe(1);
    expect(await tick(t0 + 10_000)).toBe(2);
    await actOnCampaign(stack.stores, id, 'pause', 'alice', () => t0 + 15_000);
    expect(await tick(t0 + 45_000)).toBe(2);
    await actOnCampaign(stack.stores, id, 'resume', 'alice', () => t0 + 75_000);
    // 80 s after the start, 20 of them running since the last release: no device yet (the old rule released 7 here).
    expect(await tick(t0 + 75_000)).toBe(2);
    expect(await tick(t0 + 79_000)).toBe(2);
    expect(await tick(t0 + 80_000)).toBe(3);
  }, 60_000);

  it('releases no more than the rate right after an hour\'s pause', async () => {
    const id = await plannedCampaign(20, { rate: { devicesPerMinute: 6 } });
    const t0 = Date.now();
    const tick = async (at: number) => (await tickCohortPhase(stack.stores, await stored(id), 0, 'download', t0, at, 1)).tally.byStatus[JobStatus.Ready] ?? 0;
    expect(await tick(t0)).toBe(1);
    await actOnCampaign(stack.stores, id, 'pause', 'alice', () => t0 + 5000);
    await actOnCampaign(stack.stores, id, 'resume', 'alice', () => t0 + 3_605_000);
    expect(await tick(t0 + 3_605_000)).toBe(1);
    expect(await tick(t0 + 3_610_000)).toBe(2);
    expect(await stored(id)).toMatchObject({ pausedMs: 3_600_000 });
  }, 60_000);

  it('ends a campaign that completes while cancelling as CANCELLED', async () => {
    const id = await plannedCampaign(1);
    await actOnCampaign(stack.stores, id, 'cancel', 'alice', Date.now);
    expect(await finalizeCampaign(stack.stepFunctions.dependencies, { campaignId: id, outcome: 'completed' })).toMatchObject({ status: 'CANCELLED' });
    expect((await stored(id)).status).toBe('CANCELLED');
  });

  it('waits for approval again when a campaign paused at the gate is resumed, and tells the workflow to cancel once cancelled', async () => {
    const id = await plannedCampaign(2, { cohorts: [{ count: 1 }, { percent: 100 }], approvalRequired: true });
    await actOnCampaign(stack.stores, id, 'pause', 'alice', Date.now);
    expect(await triggerCampaign(stack.stores.campaigns, id, { kind: 'awaitingApproval' }, Date.now)).toMatchObject({ kind: 'applied', campaign: { status: 'PAUSED' } });
    expect(await checkApproval(stack.stepFunctions.dependencies, { campaignId: id, cohort: 1 })).toEqual({ approved: false, cancel: false });
    await actOnCampaign(stack.stores, id, 'resume', 'alice', Date.now);
    expect(await checkApproval(stack.stepFunctions.dependencies, { campaignId: id, cohort: 1 })).toEqual({ approved: false, cancel: false });
    expect((await stored(id)).status).toBe('WAITING_APPROVAL');
    await actOnCampaign(stack.stores, id, 'cancel', 'alice', Date.now);
    expect(await checkApproval(stack.stepFunctions.dependencies, { campaignId: id, cohort: 1 })).toEqual({ approved: false, cancel: true });
  });
});
