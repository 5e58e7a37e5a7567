/**
 * The gate after a cohort, run by EvaluateInstalls when the cohort's installs are complete (one
 * task, not a task of its own: each state entered is a billed transition). Abort criteria and the
 * success threshold decide pass or abort; with approval required, the next cohort waits for an
 * operator; after the last cohort, a campaign that takes no late devices is finished.
 */
import type { Campaign } from '../../core/campaign/Campaign.ts';
import { takesLateDevices } from '../../core/campaign/dynamic.ts';
import type { CohortTally } from '../../core/campaign/progress.ts';
import { cohortVerdict } from '../../core/campaign/rollout.ts';
import type { Stores } from '../../store/Stores.ts';
import { triggerCampaign } from '../shared/campaignLifecycle.ts';

export interface CohortGate {
  readonly abort: boolean;
  readonly reason?: string;
  readonly awaitApproval: boolean;
  readonly nextCohort: number;
  /** The last cohort passed and the campaign takes no late devices (core/campaign/dynamic.ts): finalize. */
  readonly finished: boolean;
}

/** The gate of a cohort whose installs are not complete yet: nothing decided. */
export function notDecided(cohort: number): CohortGate {
  return { abort: false, awaitApproval: false, nextCohort: cohort + 1, finished: false };
}

export async function cohortGate(stores: Stores, campaign: Campaign, cohort: number, tally: CohortTally, now: number): Promise<CohortGate> {
  const { campaignId } = campaign;
  const verdict = cohortVerdict(tally, campaign);
  const nextCohort = cohort + 1;
  if (verdict.kind === 'abort') {
    await stores.campaigns.update(campaignId, { abortReason: `cohort ${cohort}: ${verdict.reason}` });
    return { abort: true, reason: verdict.reason, awaitApproval: false, nextCohort, finished: false };
  }
  const lastCohort = nextCohort >= (campaign.cohortCount ?? 0);
  const awaitApproval = campaign.approvalRequired === true && !lastCohort && (campaign.approvedCohort ?? 0) < nextCohort;
  // RUNNING -> WAITING_APPROVAL; a paused campaign stays PAUSED, a cancelled one is refused: either
  // way CheckApproval acts on the status it then finds.
  if (awaitApproval) await triggerCampaign(stores.campaigns, campaignId, { kind: 'awaitingApproval' }, Date.now);
  return { abort: false, awaitApproval, nextCohort, finished: lastCohort && !takesLateDevices(campaign, now) };
}
