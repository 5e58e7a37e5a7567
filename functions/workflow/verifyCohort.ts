/**
 * Workflow task VerifyCohort: the gate after a cohort. Abort criteria and the success threshold
 * decide pass or abort; with approval required, the next cohort waits for an operator.
 */
import { tallyJobs, type CohortTally } from '../../core/campaign/progress.ts';
import { cohortVerdict } from '../../core/campaign/rollout.ts';
import { triggerCampaign } from '../shared/campaignLifecycle.ts';
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { CohortInput, parseInput } from './inputs.ts';

export interface CohortGate {
  readonly abort: boolean;
  readonly reason?: string;
  readonly awaitApproval: boolean;
  readonly nextCohort: number;
  readonly tally: CohortTally;
}

export async function verifyCohort(deps: WorkflowDependencies, event: unknown): Promise<CohortGate> {
  const { campaignId, cohort } = parseInput(CohortInput, event);
  const { campaigns, jobs } = deps.stores;
  const campaign = await campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const tally = tallyJobs(await jobs.listCohort(campaignId, cohort));
  const verdict = cohortVerdict(tally, campaign);
  const nextCohort = cohort + 1;
  if (verdict.kind === 'abort') {
    await campaigns.update(campaignId, { abortReason: `cohort ${cohort}: ${verdict.reason}` });
    return { abort: true, reason: verdict.reason, awaitApproval: false, nextCohort, tally };
  }
  const awaitApproval = campaign.approvalRequired === true && nextCohort < (campaign.cohortCount ?? 0) && (campaign.approvedCohort ?? 0) < nextCohort;
  // RUNNING -> WAITING_APPROVAL; a paused campaign stays PAUSED, a cancelled one is refused: either
  // way CheckApproval acts on the status it then finds.
  if (awaitApproval) await triggerCampaign(campaigns, campaignId, { kind: 'awaitingApproval' }, Date.now);
  return { abort: false, awaitApproval, nextCohort, tally };
}

export const handler = workflowLambda('verifyCohort', verifyCohort);
