/** Workflow task CheckApproval: has an operator approved the next cohort, or cancelled? */
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import { handlerStores } from '../shared/context.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { CohortInput, parseInput } from './inputs.ts';

export async function handler(event: unknown): Promise<{ approved: boolean; cancel: boolean }> {
  const { campaignId, cohort } = parseInput(CohortInput, event);
  const { campaigns } = handlerStores();
  const campaign = await campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  if (campaign.control === 'CANCEL') return { approved: false, cancel: true };
  const approved = (campaign.approvedCohort ?? 0) >= cohort;
  if (approved) await campaigns.setStatus(campaignId, [CampaignStatus.WaitingApproval], CampaignStatus.Running, {});
  return { approved, cancel: false };
}
