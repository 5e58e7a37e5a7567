/**
 * Use case: plan a campaign without launching it. Validates the definition exactly as a launch
 * does, selects the target devices and splits them into cohorts with the workflow's own functions
 * (`selectTargets`, `planCohortSpecs`), and estimates how long the rollout takes. Creates nothing.
 */
import type { CampaignDefinition, RolloutRate } from '../../core/campaign/Campaign.ts';
import { planWithCanaries } from '../../core/campaign/canary.ts';
import { releaseAllowance } from '../../core/campaign/rollout.ts';
import { secondsUntilOpen } from '../../core/campaign/windows.ts';
import type { DefinitionProblem } from '../../core/campaign/definitionRules.ts';
import type { UnmatchedTarget } from '../../core/campaign/targets.ts';
import { busyDevices, DEVICE_BUSY } from '../shared/deviceClaims.ts';
import type { Stores } from '../../store/Stores.ts';
import { checkCampaignDefinition } from './launchCampaign.ts';
import { matchTarget } from './targetMatch.ts';

export interface CohortDryRun {
  readonly cohort: number;
  readonly size: number;
  readonly endpoints: readonly string[];
  /** Seconds until the rollout rate has released the whole cohort (0 without a rate). */
  readonly releaseSeconds: number;
}

export interface CampaignDryRun {
  readonly name: string;
  readonly imageId: string;
  readonly targetVersion: string;
  /** Registered devices the target selector matches. */
  readonly targeted: number;
  /** Devices the campaign would update. */
  readonly eligible: number;
  /**
   * Matched but skipped: already on the target version, on a version the image does not install
   * over (`compatibleFrom`), and `byReason`: every skip reason the plan would record (the two
   * above plus INCOMPATIBLE_MODEL, UNKNOWN_MODEL, UNKNOWN_VERSION, DOWNGRADE_NOT_ALLOWED,
   * VERSION_UNORDERED and DEVICE_BUSY), each with its devices.
   */
  readonly skipped: { readonly alreadyCurrent: readonly string[]; readonly incompatible: readonly string[]; readonly byReason: Readonly<Record<string, readonly string[]>> };
  readonly cohorts: readonly CohortDryRun[];
  readonly estimate: CampaignEstimate;
  /** What the target names that is not there: endpoints not registered, groups no device is in. */
  readonly unmatched: UnmatchedTarget;
  /** What is wrong with the plan: a create refuses all but `target` (matches nothing), see README. */
  readonly problems: readonly DefinitionProblem[];
}

/**
 * Bounds on the campaign's duration. The fastest case: each cohort is released at the rollout
 * rate and both its phases finish by their first poll. The slowest case, before retries: every
 * cohort waits out its download and install timeouts. Approval gates and time windows add
 * operator and calendar time that cannot be estimated; `notes` names them.
 */
export interface CampaignEstimate {
  readonly minimumSeconds: number;
  readonly maximumSeconds: number;
  readonly notes: readonly string[];
}

export async function dryRunCampaign(stores: Stores, input: unknown, now: number = Date.now()): Promise<CampaignDryRun> {
  const { definition, image } = await checkCampaignDefinition(stores, input);
  const { selection, guarded, unmatched, problems } = await matchTarget(stores, definition, image);
  const busy = new Set(await busyDevices(stores, guarded.eligible.map((device) => device.endpoint)));
  const eligible = guarded.eligible.map((device) => device.endpoint).filter((endpoint) => !busy.has(endpoint));
  const byReason: Record<string, string[]> = {};
  const skip = (reason: string, endpoint: string): number => (byReason[reason] ??= []).push(endpoint);
  for (const device of selection.alreadyCurrent) skip('ALREADY_ON_TARGET_VERSION', device.endpoint);
  for (const device of selection.incompatible) skip('INCOMPATIBLE_VERSION', device.endpoint);
  for (const { device, reason } of guarded.skipped) skip(reason, device.endpoint);
  for (const endpoint of busy) skip(DEVICE_BUSY, endpoint);
  for (const endpoints of Object.values(byReason)) endpoints.sort();
  const specs = definition.cohorts ?? definition.cohortPercentages.map((percent) => ({ percent }));
  const plan = eligible.length === 0 ? { assignments: new Map<string, number>(), cohortSizes: [] } : planWithCanaries(eligible, specs, definition.canaryEndpoints);
  const members = plan.cohortSizes.map(() => [] as string[]);
  for (const [endpoint, cohort] of plan.assignments) members[cohort]?.push(endpoint);
  const cohorts = plan.cohortSizes.map((size, cohort) => ({ cohort, size, endpoints: (members[cohort] ?? []).sort(), releaseSeconds: secondsToRelease(definition.rate, size) }));
  return {
    name: definition.name,
    imageId: image.imageId,
    targetVersion: image.version,
    targeted: selection.eligible.length + selection.alreadyCurrent.length + selection.incompatible.length,
    eligible: eligible.length,
    skipped: { alreadyCurrent: selection.alreadyCurrent.map((d) => d.endpoint).sort(), incompatible: selection.incompatible.map((d) => d.endpoint).sort(), byReason },
    cohorts,
    estimate: estimate(definition, cohorts, now),
    unmatched,
    problems,
  };
}

function estimate(definition: CampaignDefinition, cohorts: readonly CohortDryRun[], now: number): CampaignEstimate {
  const fastestPhases = 2 * definition.pollSeconds;
  const slowestPhases = definition.downloadTimeoutSeconds + definition.installTimeoutSeconds;
  const notes: string[] = [];
  // Calendar time before the first download can start and the first install follow it (in the
  // windows' own zone; devices in other zones open at their local time).
  const startWait = definition.startAt === undefined ? 0 : Math.max(0, Math.ceil((Date.parse(definition.startAt) - now) / 1000));
  const downloadWait = secondsUntilOpen(definition.downloadWindow, now + startWait * 1000);
  const installWait = secondsUntilOpen(definition.installWindow, now + (startWait + downloadWait + definition.pollSeconds) * 1000);
  const calendarSeconds = startWait + downloadWait + installWait;
  if (calendarSeconds > 0) notes.push(`the first downloads wait ${startWait + downloadWait} s for the start time and the download window, the first installs ${installWait} s more for the install window`);
  if (definition.approvalRequired === true && cohorts.length > 1) notes.push(`waits for an operator's approval after each of the first ${cohorts.length - 1} cohort(s)`);
  if (definition.downloadWindow !== undefined) notes.push(`downloads only between ${definition.downloadWindow.start} and ${definition.downloadWindow.end} device local time`);
  if (definition.installWindow !== undefined) notes.push(`installs only between ${definition.installWindow.start} and ${definition.installWindow.end} device local time`);
  if (cohorts.length === 0) notes.push('no device to update');
  return {
    minimumSeconds: calendarSeconds + cohorts.reduce((sum, c) => sum + c.releaseSeconds + fastestPhases, 0),
    maximumSeconds: calendarSeconds + cohorts.reduce((sum, c) => sum + c.releaseSeconds + slowestPhases, 0),
    notes,
  };
}

/** The first whole second at which the rate's allowance covers `devices` (the inverse of releaseAllowance). */
export function secondsToRelease(rate: RolloutRate | undefined, devices: number): number {
  if (rate === undefined || devices <= 1) return 0;
  let low = 0;
  let high = Math.ceil((devices / rate.devicesPerMinute) * 60) + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (releaseAllowance(rate, middle * 1000) >= devices) high = middle;
    else low = middle + 1;
  }
  return low;
}
