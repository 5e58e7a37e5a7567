/**
 * Campaign notifications (issue 16, item 5), pure: which status changes people are told about,
 * and what the message carries (the campaign's figures and its dashboard link).
 */
import { CampaignStatus, type Campaign } from './Campaign.ts';
import type { CohortTally } from './progress.ts';

/** The statuses worth telling someone about: a person must act, or the campaign has ended. */
export const NOTIFIED_STATUSES: ReadonlySet<CampaignStatus> = new Set([CampaignStatus.WaitingApproval, CampaignStatus.Paused, CampaignStatus.Aborted, CampaignStatus.Succeeded, CampaignStatus.Failed]);

/** The EventBridge detail-type of a campaign notification (an SNS topic and chat hooks subscribe by it). */
export const CAMPAIGN_NOTIFICATION_TYPE = 'fota.campaign.notification';

export interface CampaignNotification {
  readonly campaignId: string;
  readonly name: string;
  readonly status: CampaignStatus;
  readonly previousStatus: CampaignStatus;
  /** One line for a subject or a chat message. */
  readonly subject: string;
  readonly figures: { readonly devices: number; readonly succeeded: number; readonly failed: number; readonly finished: number; readonly byStatus: Readonly<Record<string, number>>; readonly failureReasons: Readonly<Record<string, number>> };
  readonly abortReason?: string;
  readonly failureCause?: string;
  /** The campaign's page in the dashboard, when the stack knows the dashboard's address. */
  readonly dashboardUrl?: string;
  readonly at: number;
}

const VERB: Readonly<Partial<Record<CampaignStatus, string>>> = {
  [CampaignStatus.WaitingApproval]: 'is waiting for approval',
  [CampaignStatus.Paused]: 'was paused',
  [CampaignStatus.Aborted]: 'was aborted',
  [CampaignStatus.Succeeded]: 'succeeded',
  [CampaignStatus.Failed]: 'failed',
};

/** The notification of a change from `previous` to the campaign's status now, or undefined when nobody is told about it. */
export function campaignNotification(campaign: Campaign, previous: CampaignStatus, tally: CohortTally, dashboardBase: string | undefined, at: number): CampaignNotification | undefined {
  if (previous === campaign.status || !NOTIFIED_STATUSES.has(campaign.status)) return undefined;
  const figures = { devices: tally.total, succeeded: tally.succeeded, failed: tally.failed, finished: tally.finished, byStatus: tally.byStatus, failureReasons: tally.failureReasons };
  return {
    campaignId: campaign.campaignId,
    name: campaign.name,
    status: campaign.status,
    previousStatus: previous,
    subject: `Campaign ${campaign.name} ${VERB[campaign.status] ?? campaign.status}: ${tally.succeeded} of ${tally.total} devices updated, ${tally.failed} failed`,
    figures,
    ...(campaign.abortReason === undefined ? {} : { abortReason: campaign.abortReason }),
    ...(campaign.failureCause === undefined ? {} : { failureCause: campaign.failureCause }),
    ...(dashboardBase === undefined ? {} : { dashboardUrl: `${dashboardBase.replace(/\/+$/, '')}/#campaign=${encodeURIComponent(campaign.campaignId)}` }),
    at,
  };
}
