/**
 * Operator actions on a campaign: pause, resume, cancel, approve. The lifecycle table in core
 * decides from the campaign's status; an accepted action changes the status at once, with its
 * audit entry (who, when, what, previous and new status) in the same conditional write. A refused
 * action gets 409 with the reason stated from the status the request saw.
 */
import type { Campaign } from '../../core/campaign/Campaign.ts';
import { CAMPAIGN_ACTIONS, type CampaignAction } from '../../core/campaign/lifecycle.ts';
import type { Stores } from '../../store/Stores.ts';
import { triggerCampaign } from '../shared/campaignLifecycle.ts';
import { CampaignContendedError } from '../shared/errors.ts';
import { ApiError } from './http.ts';
import { approvalRefusal } from '../../core/campaign/approval.ts';

export { CAMPAIGN_ACTIONS, type CampaignAction };

/** Applies the action and answers the campaign as it is after it. */
export async function actOnCampaign(stores: Stores, campaignId: string, action: CampaignAction, actor: string, clock: () => number, defaultApprovers = 1): Promise<Campaign> {
  if (action === 'approve') await refuseOwnApproval(stores, campaignId, actor, defaultApprovers);
  try {
    const outcome = await triggerCampaign(stores.campaigns, campaignId, { kind: action, actor }, clock);
    switch (outcome.kind) {
      case 'notFound':
        throw new ApiError(404, 'NOT_FOUND', `campaign ${campaignId} does not exist`);
      case 'refused':
        throw new ApiError(409, 'ILLEGAL_ACTION', `campaign ${campaignId}: ${outcome.error.message}`);
      case 'applied':
        return outcome.campaign;
    }
  } catch (error) {
    if (error instanceof CampaignContendedError) throw new ApiError(409, 'CONCURRENT_CHANGE', `${error.message}; try again`);
    throw error;
  }
}

/** Four eyes: 403 when the campaign needs two people and its creator approves (who created it never changes). */
async function refuseOwnApproval(stores: Stores, campaignId: string, actor: string, defaultApprovers: number): Promise<void> {
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) return;
  const refusal = approvalRefusal(campaign, actor, defaultApprovers);
  if (refusal !== undefined) throw new ApiError(403, 'FOUR_EYES', `campaign ${campaignId}: ${refusal}`);
}
