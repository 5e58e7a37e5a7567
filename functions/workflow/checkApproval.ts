/**
 * Workflow task CheckApproval: has an operator approved the next cohort, or cancelled? Approval
 * holds even if the campaign was paused since (the next phase then waits, paused); a campaign
 * paused at the gate and resumed waits for approval again.
 */
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import { isCancelled } from '../../core/campaign/lifecycle.ts';
import { triggerCampaign } from '../shared/campaignLifecycle.ts';
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { CohortInput, parseInput } from './inputs.ts';

export async function checkApproval(deps: WorkflowDependencies, event: unknown): Promise<{ approved: boolean; cancel: boolean }> {
  const { campaignId, cohort } = parseInput(CohortInput, event);
  const { campaigns } = deps.stores;
  const campaign = await campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  if (isCancelled(campaign.status)) return { approved: false, cancel: true };
  if ((campaign.approvedCohort ?? 0) >= cohort) return { approved: true, cancel: false };
  if (campaign.status === CampaignStatus.Running) {
    const outcome = await triggerCampaign(campaigns, campaignId, { kind: 'awaitingApproval' }, Date.now);
    // Cancelled meanwhile: wind down now rather than at the next check.
    if (outcome.kind === 'refused' && isCancelled(outcome.campaign.status)) return { approved: false, cancel: true };
  }
  return { approved: false, cancel: false };
}

export const handler = workflowLambda('checkApproval', checkApproval);
