/**
 * Dynamic campaigns (issue 16, item 3): after its last cohort, a campaign with `dynamic: true`
 * keeps taking in devices that register or come to match its target, into the last cohort, under
 * the same rate, windows and guards, until `endAt`. Pure rules; the workflow's JoinLateDevices
 * task applies them (functions/workflow/joinLateDevices.ts).
 */
import type { CampaignDefinition } from './Campaign.ts';

/**
 * How often a dynamic campaign looks for late devices. A look costs about 9 history events (Wait,
 * Task, Choice), so 7 days of looks stay near 18,000 events, under Step Functions' 25,000.
 */
export const DYNAMIC_JOIN_SECONDS = 300;
/** The longest a dynamic campaign may take devices in, from its start. */
export const MAX_DYNAMIC_DAYS = 7;

/** What is wrong with a definition's dynamic window (`field: reason`), or undefined when it is sound. */
export function dynamicWindowProblem(definition: Pick<CampaignDefinition, 'dynamic' | 'endAt' | 'startAt'>, now: number): string | undefined {
  if (definition.dynamic !== true) return definition.endAt === undefined ? undefined : 'endAt: only a dynamic campaign (dynamic: true) has an end time';
  if (definition.endAt === undefined) return 'endAt: a dynamic campaign needs an end time';
  const start = definition.startAt === undefined ? now : Date.parse(definition.startAt);
  const end = Date.parse(definition.endAt);
  if (end <= Math.max(now, start)) return 'endAt: must be after the start (and in the future)';
  if (end - start > MAX_DYNAMIC_DAYS * 86_400_000) return `endAt: at most ${MAX_DYNAMIC_DAYS} days after the start`;
  return undefined;
}

/** True while a dynamic campaign still takes devices in. */
export function takesLateDevices(campaign: Pick<CampaignDefinition, 'dynamic' | 'endAt'>, now: number): boolean {
  return campaign.dynamic === true && campaign.endAt !== undefined && now < Date.parse(campaign.endAt);
}
