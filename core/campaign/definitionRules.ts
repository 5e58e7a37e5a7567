/**
 * Rules across the fields of a campaign definition, beyond each field's own range (the schema's),
 * and the checks of a definition against the fleet it would run over. Pure: the API turns each
 * problem into a 400 naming its field, the dry run lists them.
 */
import type { CampaignDefinition, CohortSpec } from './Campaign.ts';
import { compareVersions } from './rollout.ts';

/** Something wrong with a definition, and the field (dotted path) it is about. */
export interface DefinitionProblem {
  readonly field: string;
  readonly message: string;
}

/** Slowest rollout rate accepted: one device per 100 minutes (a slower one never finishes a cohort). */
export const MIN_DEVICES_PER_MINUTE = 0.01;

type RuleInput = Pick<CampaignDefinition, 'pollSeconds' | 'maxPollSeconds' | 'target' | 'rate'>;

export function definitionProblems(definition: RuleInput): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (definition.maxPollSeconds !== undefined && definition.maxPollSeconds < definition.pollSeconds) {
    problems.push({ field: 'maxPollSeconds', message: `${definition.maxPollSeconds} is less than pollSeconds (${definition.pollSeconds}): polls grow from pollSeconds up to maxPollSeconds` });
  }
  const range = definition.target.firmwareVersions;
  if (range?.min !== undefined && range.max !== undefined && compareVersions(range.min, range.max) > 0) {
    problems.push({ field: 'target.firmwareVersions.min', message: `${range.min} is above max ${range.max}: no version is in the range` });
  }
  const rate = definition.rate;
  if (rate?.maxDevicesPerMinute !== undefined && rate.maxDevicesPerMinute < rate.devicesPerMinute) {
    problems.push({ field: 'rate.maxDevicesPerMinute', message: `${rate.maxDevicesPerMinute} is below devicesPerMinute (${rate.devicesPerMinute}): the ramp starts at devicesPerMinute and grows up to it` });
  }
  return problems;
}

/**
 * Checks of a definition against its match: `matched` devices the target selects, `eligible` of
 * them to be updated. A campaign that matches nothing is reported (not refused: it is recorded and
 * ends with 0 devices, shown as such); a canary that is the whole rollout is refused.
 */
export function matchProblems(specs: readonly CohortSpec[], matched: number, eligible: number): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (matched === 0) problems.push({ field: 'target', message: 'matches no registered device: the campaign would update nothing' });
  const canary = specs[0];
  if (specs.length > 1 && canary !== undefined && 'count' in canary && eligible > 0 && canary.count >= eligible) {
    problems.push({ field: 'cohorts.0.count', message: `the canary of ${canary.count} device(s) is not smaller than the ${eligible} device(s) to update: it would be the whole rollout` });
  }
  return problems;
}

/** The problems a create refuses (the rest a dry run only reports). */
export function isRefused(problem: DefinitionProblem): boolean {
  return problem.field !== 'target';
}
