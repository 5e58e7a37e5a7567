/**
 * Explicit canaries (issue 16, item 3): the devices a release manager names form the first cohort,
 * whatever the cohort sizes say; the others are split by the cohort specs after them. Pure.
 */
import { planCohortSpecs, type CohortPlan } from './cohorts.ts';
import type { CohortSpec } from './Campaign.ts';

/**
 * The cohort plan of `endpoints` with the named canaries first. A canary that is not among
 * `endpoints` (not targeted, skipped by a guard, held elsewhere) is simply not in the plan; with
 * no canary left the plan is the specs' alone.
 */
export function planWithCanaries(endpoints: readonly string[], specs: readonly CohortSpec[], canaryEndpoints: readonly string[] | undefined): CohortPlan {
  const named = new Set(canaryEndpoints ?? []);
  const canaries = endpoints.filter((endpoint) => named.has(endpoint));
  if (canaries.length === 0) return planCohortSpecs(endpoints, specs);
  const rest = endpoints.filter((endpoint) => !named.has(endpoint));
  const assignments = new Map<string, number>(canaries.map((endpoint) => [endpoint, 0]));
  if (rest.length === 0) return { assignments, cohortSizes: [canaries.length] };
  const after = planCohortSpecs(rest, specs);
  for (const [endpoint, cohort] of after.assignments) assignments.set(endpoint, cohort + 1);
  return { assignments, cohortSizes: [canaries.length, ...after.cohortSizes] };
}
