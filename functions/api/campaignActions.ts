/**
 * Operator actions on a running campaign: pause, resume, cancel, approve. Each is recorded in the
 * campaign's audit trail (who, when, what, previous status) and refused with 409 when the
 * campaign is not in a state that allows it. The workflow reads `control` at every poll.
 */
import { CampaignStatus, type Campaign, type CampaignStatus as Status } from '../../core/campaign/Campaign.ts';
import type { Stores } from '../../store/Stores.ts';
import { ApiError } from './http.ts';

export const CAMPAIGN_ACTIONS = ['pause', 'resume', 'cancel', 'approve'] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

const ACTIVE: readonly Status[] = [CampaignStatus.Created, CampaignStatus.Running, CampaignStatus.Paused, CampaignStatus.WaitingApproval];

const RULES: Readonly<Record<CampaignAction, { allowedFrom: readonly Status[]; changes: (campaign: Campaign) => Partial<Campaign> }>> = {
  pause: { allowedFrom: [CampaignStatus.Created, CampaignStatus.Running], changes: () => ({ control: 'PAUSE' }) },
  resume: { allowedFrom: [CampaignStatus.Running, CampaignStatus.Paused], changes: () => ({ control: 'RUN' }) },
  cancel: { allowedFrom: ACTIVE, changes: () => ({ control: 'CANCEL' }) },
  approve: { allowedFrom: [CampaignStatus.WaitingApproval], changes: (campaign) => ({ approvedCohort: (campaign.currentCohort ?? 0) + 1 }) },
};

export async function actOnCampaign(stores: Stores, campaignId: string, action: CampaignAction, actor: string, now: number): Promise<Campaign> {
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new ApiError(404, 'NOT_FOUND', `campaign ${campaignId} does not exist`);
  const rule = RULES[action];
  if (action === 'resume' && campaign.control !== 'PAUSE') {
    throw new ApiError(409, 'ILLEGAL_ACTION', `campaign ${campaignId} is not paused (status ${campaign.status})`);
  }
  if (!rule.allowedFrom.includes(campaign.status)) {
    throw new ApiError(409, 'ILLEGAL_ACTION', `cannot ${action} a campaign that is ${campaign.status}`);
  }
  const changes = rule.changes(campaign);
  const applied = await stores.campaigns.act(campaignId, rule.allowedFrom, changes, {
    at: now,
    actor,
    action,
    previous: campaign.status,
    detail: JSON.stringify(changes),
  });
  if (!applied) throw new ApiError(409, 'ILLEGAL_ACTION', `campaign ${campaignId} changed meanwhile; ${action} not applied`);
  return { ...campaign, ...changes };
}
