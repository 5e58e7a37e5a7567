/**
 * One firmware job per device at a time, across campaigns (README, "Guarantees"). PlanCampaign
 * claims every device it would update with a conditional write; a device held by another campaign
 * that still has business with it is skipped as DEVICE_BUSY. A holder is done with a device when
 * the holder campaign is finished (or gone) and its job for the device is terminal (or absent):
 * both only ever move forward, so the take-over, conditional on the holder, is safe. A finished
 * campaign does not give its devices back (a delete per device, issue 17): its claims stay until
 * a later campaign takes them over, which reads the same facts a release would have.
 */
import { FINISHED_CAMPAIGN_STATUSES, type CampaignStatus } from '../../core/campaign/Campaign.ts';
import { mapWithLimit, PARALLEL_WRITES } from '../../core/concurrency.ts';
import { isTerminal } from '../../core/jobs/jobStateMachine.ts';
import type { Stores } from '../../store/Stores.ts';

export const DEVICE_BUSY = 'DEVICE_BUSY';

export interface ClaimResult {
  readonly claimed: readonly string[];
  /** Devices held by another campaign that is not done with them. */
  readonly busy: readonly string[];
}

type HolderStatus = (campaignId: string) => Promise<CampaignStatus | undefined>;

/** Claims `endpoints` for `campaignId`; idempotent (a device it already holds counts as claimed). */
export async function claimDevices(stores: Pick<Stores, 'claims' | 'campaigns' | 'jobs'>, campaignId: string, endpoints: readonly string[], now: number): Promise<ClaimResult> {
  const statusOf = holderStatuses(stores);
  const outcomes = await mapWithLimit(endpoints, PARALLEL_WRITES, async (endpoint) => {
    for (let round = 0; round < 3; round++) {
      const outcome = await stores.claims.claim(endpoint, campaignId, now);
      if (outcome.claimed) return true;
      if (!(await holderIsDone(stores, statusOf, outcome.holder, endpoint))) return false;
      if (await stores.claims.takeOver(endpoint, campaignId, outcome.holder, now)) return true;
      // Someone else took it over or released it first: look again.
    }
    return false;
  });
  return { claimed: endpoints.filter((_, i) => outcomes[i] === true), busy: endpoints.filter((_, i) => outcomes[i] !== true) };
}

/** The devices a new campaign would find busy (read only: the dry run). */
export async function busyDevices(stores: Pick<Stores, 'claims' | 'campaigns' | 'jobs'>, endpoints: readonly string[]): Promise<string[]> {
  const statusOf = holderStatuses(stores);
  const busy = await mapWithLimit(endpoints, PARALLEL_WRITES, async (endpoint) => {
    const claim = await stores.claims.get(endpoint);
    return claim !== undefined && !(await holderIsDone(stores, statusOf, claim.campaignId, endpoint));
  });
  return endpoints.filter((_, i) => busy[i] === true);
}

async function holderIsDone(stores: Pick<Stores, 'jobs'>, statusOf: HolderStatus, holder: string, endpoint: string): Promise<boolean> {
  const status = await statusOf(holder);
  if (status !== undefined && !FINISHED_CAMPAIGN_STATUSES.has(status)) return false;
  const jobs = await stores.jobs.listForEndpoint(endpoint);
  return jobs.every((job) => job.campaignId !== holder || isTerminal(job.status));
}

/** Each holder's status read once per call (many devices share a holder). */
function holderStatuses(stores: Pick<Stores, 'campaigns'>): HolderStatus {
  const cache = new Map<string, Promise<CampaignStatus | undefined>>();
  return (campaignId) => {
    let status = cache.get(campaignId);
    if (status === undefined) {
      status = stores.campaigns.get(campaignId).then((campaign) => campaign?.status);
      cache.set(campaignId, status);
    }
    return status;
  };
}
