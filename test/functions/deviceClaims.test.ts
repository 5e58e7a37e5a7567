/**
 * One firmware job per device at a time (functions/shared/deviceClaims.ts) on the real claims,
 * campaigns and jobs tables on dynalite: a finished campaign keeps its claims (no delete per
 * device), and the next campaign takes over each device whose job there is over.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { busyDevices, claimDevices } from '../../functions/shared/deviceClaims.ts';
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import { jobKeyFor, type FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('device claims across campaigns', () => {
  let emulators: Emulators;

  beforeAll(async () => {
    emulators = await startEmulators();
  });

  afterAll(async () => {
    await emulators?.stop();
  });

  /** A campaign in `status` that claimed `jobs`' devices and holds a job of each in its status. */
  const holder = async (status: CampaignStatus, jobs: Record<string, JobStatus>): Promise<string> => {
    const { stores } = emulators;
    const campaignId = `holder-${randomUUID()}`;
    await stores.campaigns.create({ campaignId, name: 'holder', imageId: 'image', target: {}, cohortPercentages: [100], pollSeconds: 1, downloadTimeoutSeconds: 60, installTimeoutSeconds: 60, abortFailurePercent: 5, status, targetVersion: '2.0.0', createdAt: T0, updatedAt: T0 });
    expect((await claimDevices(stores, campaignId, Object.keys(jobs), T0)).busy).toEqual([]);
    const items = Object.entries(jobs).map(([endpoint, jobStatus]): FirmwareJob => ({
      campaignId, jobKey: jobKeyFor(0, endpoint), endpoint, cohort: 0, status: jobStatus, version: 3, attempt: 0, imageId: 'image', targetVersion: '2.0.0',
      downloadToken: randomUUID().replaceAll('-', ''), createdAt: T0, updatedAt: T0, history: [],
    }));
    await stores.jobs.createJobs(items);
    return campaignId;
  };

  it('takes over the claim of a device whose campaign finished with its job over, and leaves one still updating busy', async () => {
    // Prepare: a finished campaign that never gave its devices back.
    const [done, updating] = [`claims-done-${randomUUID()}`, `claims-updating-${randomUUID()}`];
    const finished = await holder(CampaignStatus.Succeeded, { [done]: JobStatus.Succeeded, [updating]: JobStatus.Updating });
    const heldBefore = (await emulators.stores.claims.get(done))?.campaignId;

    // Act
    const busy = await busyDevices(emulators.stores, [done, updating]);
    const next = `next-${randomUUID()}`;
    const claims = await claimDevices(emulators.stores, next, [done, updating], T0 + 1);

    // Assess
    expect(heldBefore).toBe(finished);
    expect(busy).toEqual([updating]);
    expect(claims).toEqual({ claimed: [done], busy: [updating] });
    expect((await emulators.stores.claims.get(done))?.campaignId).toBe(next);
    expect((await emulators.stores.claims.get(updating))?.campaignId).toBe(finished);
  });

  it('never takes over a device from a campaign still running, whatever its job', async () => {
    const device = `claims-running-${randomUUID()}`;
    const running = await holder(CampaignStatus.Running, { [device]: JobStatus.Succeeded });

    const claims = await claimDevices(emulators.stores, `next-${randomUUID()}`, [device], T0 + 1);

    expect(claims).toEqual({ claimed: [], busy: [device] });
    expect((await emulators.stores.claims.get(device))?.campaignId).toBe(running);
  });
});
