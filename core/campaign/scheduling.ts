/** A scheduled campaign (`startAt`) before its start, as the API and the CLI show it. Pure. */
import { CampaignStatus, type Campaign } from './Campaign.ts';

/** Why a campaign is not moving yet, and until when. */
export interface CampaignWaiting {
  readonly reason: 'START_TIME';
  /** ISO 8601, as the campaign was given it. */
  readonly until: string;
}

/** The wait for the start time of a campaign not yet planned (CREATED or PAUSED before it), or undefined. */
export function startTimeWaiting(campaign: Pick<Campaign, 'status' | 'startAt' | 'startedAt'>, now: number): CampaignWaiting | undefined {
  if (campaign.startAt === undefined || campaign.startedAt !== undefined) return undefined;
  if (campaign.status !== CampaignStatus.Created && campaign.status !== CampaignStatus.Paused) return undefined;
  return Date.parse(campaign.startAt) > now ? { reason: 'START_TIME', until: campaign.startAt } : undefined;
}
