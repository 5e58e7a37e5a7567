/**
 * Why a campaign is not moving, as the API and the CLI show it: its start time ahead (`startAt`),
 * an operator's approval of the next cohort, or the current phase's time window closed (with its
 * next opening, in the window's zone). Pure.
 */
import { CampaignStatus, type Campaign, type TimeWindow } from './Campaign.ts';
import { isWithinWindow, localMinuteOfDay } from './windows.ts';

export type CampaignWaiting =
  | {
      readonly reason: 'START_TIME';
      /** ISO 8601, as the campaign was given it. */
      readonly until: string;
    }
  | { readonly reason: 'APPROVAL'; readonly cohort: number }
  | {
      readonly reason: 'WINDOW';
      readonly window: 'download' | 'install';
      /** The next opening in the window's zone (ISO 8601, to the minute); devices in other zones open at their own local time. */
      readonly opensAt: string;
      readonly timeZone: string;
    };

/** The wait for the start time of a campaign not yet planned (CREATED or PAUSED before it), or undefined. */
export function startTimeWaiting(campaign: Pick<Campaign, 'status' | 'startAt' | 'startedAt'>, now: number): CampaignWaiting | undefined {
  if (campaign.startAt === undefined || campaign.startedAt !== undefined) return undefined;
  if (campaign.status !== CampaignStatus.Created && campaign.status !== CampaignStatus.Paused) return undefined;
  return Date.parse(campaign.startAt) > now ? { reason: 'START_TIME', until: campaign.startAt } : undefined;
}

type WaitingFacts = Pick<Campaign, 'status' | 'startAt' | 'startedAt' | 'currentCohort' | 'phase' | 'downloadWindow' | 'installWindow'>;

/** What the campaign waits for now, if anything: the start time, an approval, or a closed window. */
export function campaignWaiting(campaign: WaitingFacts, now: number): CampaignWaiting | undefined {
  const start = startTimeWaiting(campaign, now);
  if (start !== undefined) return start;
  if (campaign.status === CampaignStatus.WaitingApproval) return { reason: 'APPROVAL', cohort: (campaign.currentCohort ?? 0) + 1 };
  if (campaign.status !== CampaignStatus.Running) return undefined;
  const phase = campaign.phase === 'download' || campaign.phase === 'install' ? campaign.phase : undefined;
  const window = phase === 'download' ? campaign.downloadWindow : phase === 'install' ? campaign.installWindow : undefined;
  if (phase === undefined || window === undefined || isWithinWindow(window, now)) return undefined;
  const timeZone = window.defaultTimeZone ?? 'UTC';
  return { reason: 'WINDOW', window: phase, opensAt: nextOpening(window, now, timeZone), timeZone };
}

/** When the window next opens in `timeZone`, to the minute (ISO 8601, UTC). */
function nextOpening(window: TimeWindow, now: number, timeZone: string): string {
  const [hours = 0, minutes = 0] = window.start.split(':').map(Number);
  const wait = (hours * 60 + minutes - localMinuteOfDay(now, timeZone) + 1440) % 1440;
  const minuteStart = Math.floor(now / 60_000) * 60_000;
  return new Date(minuteStart + wait * 60_000).toISOString();
}

/** One line for a person: what the campaign waits for. */
export function describeWaiting(waiting: CampaignWaiting): string {
  switch (waiting.reason) {
    case 'START_TIME':
      return `waiting for its start time: ${waiting.until}`;
    case 'APPROVAL':
      return `waiting for approval of cohort ${waiting.cohort} (fota campaigns approve)`;
    case 'WINDOW':
      return `waiting for the ${waiting.window} window, opens ${waiting.opensAt} (${waiting.timeZone}; devices in other zones at their local time)`;
  }
}
