/**
 * Cohort planning: split the targeted devices into cohorts by cumulative percentage, canary first.
 * The order is a stable hash of the endpoint name, so a re-plan of the same fleet gives the same
 * cohorts and no vendor or serial range clusters in the canary.
 */
import { createHashOrder } from './hashOrder.ts';
import type { CohortSpec } from './Campaign.ts';

export interface CohortPlan {
  /** endpoint -> cohort index (0 = canary). */
  readonly assignments: ReadonlyMap<string, number>;
  readonly cohortSizes: readonly number[];
}

export class InvalidCohortPlanError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidCohortPlanError';
  }
}

/** `percentages` are cumulative and ascending, the last one 100, e.g. [1, 10, 100]. */
export function planCohorts(endpoints: readonly string[], percentages: readonly number[]): CohortPlan {
  validatePercentages(percentages);
  return planCohortSpecs(endpoints, percentages.map((percent) => ({ percent })));
}

/**
 * Cohorts given as cumulative percentages or as device counts, e.g. 10 devices, then 10%, then
 * everyone: [{count: 10}, {percent: 10}, {percent: 100}]. The last cohort takes all that is left.
 */
export function planCohortSpecs(endpoints: readonly string[], specs: readonly CohortSpec[]): CohortPlan {
  validateCohortSpecs(specs);
  const ordered = createHashOrder(endpoints);
  const assignments = new Map<string, number>();
  const cohortSizes: number[] = [];
  let assigned = 0;
  for (const [index, spec] of specs.entries()) {
    const wanted = index === specs.length - 1 ? ordered.length : 'count' in spec ? assigned + spec.count : Math.ceil((ordered.length * spec.percent) / 100);
    const cumulative = Math.min(ordered.length, Math.max(assigned + 1, wanted));
    if (cumulative <= assigned) continue;
    const cohort = cohortSizes.length;
    for (let i = assigned; i < cumulative; i++) assignments.set(ordered[i] as string, cohort);
    cohortSizes.push(cumulative - assigned);
    assigned = cumulative;
  }
  return { assignments, cohortSizes };
}

export function validatePercentages(percentages: readonly number[]): void {
  if (percentages.length === 0) throw new InvalidCohortPlanError('at least one cohort is needed');
  let previous = 0;
  for (const p of percentages) {
    if (!Number.isFinite(p) || p <= previous || p > 100) {
      throw new InvalidCohortPlanError(`cohort percentages must be cumulative, ascending, in (0, 100]: ${percentages.join(', ')}`);
    }
    previous = p;
  }
  if (previous !== 100) throw new InvalidCohortPlanError('the last cohort must reach 100%');
}

export function validateCohortSpecs(specs: readonly CohortSpec[]): void {
  if (specs.length === 0) throw new InvalidCohortPlanError('at least one cohort is needed');
  let previousPercent = 0;
  for (const spec of specs) {
    if ('count' in spec) {
      if (!Number.isInteger(spec.count) || spec.count < 1) throw new InvalidCohortPlanError(`a cohort count must be a positive integer, got ${spec.count}`);
    } else {
      if (!Number.isFinite(spec.percent) || spec.percent <= previousPercent || spec.percent > 100) {
        throw new InvalidCohortPlanError('cohort percentages must be cumulative, ascending, in (0, 100]');
      }
      previousPercent = spec.percent;
    }
  }
  const last = specs[specs.length - 1];
  if (last !== undefined && !('percent' in last && last.percent === 100)) throw new InvalidCohortPlanError('the last cohort must be { percent: 100 }');
}
