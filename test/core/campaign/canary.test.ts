import { describe, expect, it } from 'vitest';
import { planWithCanaries } from '../../../core/campaign/canary.ts';
import { planCohortSpecs } from '../../../core/campaign/cohorts.ts';

const endpoints = Array.from({ length: 10 }, (_, i) => `d${i}`);

describe('planWithCanaries', () => {
  it('puts the named canaries alone in the first cohort and splits the rest by the specs after them', () => {
    const plan = planWithCanaries(endpoints, [{ percent: 50 }, { percent: 100 }], ['d7', 'd2']);
    expect([...plan.assignments].filter(([, cohort]) => cohort === 0).map(([e]) => e).sort()).toEqual(['d2', 'd7']);
    expect(plan.cohortSizes).toEqual([2, 4, 4]);
    expect(plan.assignments.size).toBe(10);
  });

  it('ignores canaries that are not among the devices to update', () => {
    const plan = planWithCanaries(endpoints, [{ percent: 100 }], ['not-targeted', 'd3']);
    expect(plan.cohortSizes).toEqual([1, 9]);
    expect(plan.assignments.get('d3')).toBe(0);
    expect(plan.assignments.has('not-targeted')).toBe(false);
  });

  it('is the specs plan alone without a canary that is targeted', () => {
    expect(planWithCanaries(endpoints, [{ count: 3 }, { percent: 100 }], ['elsewhere'])).toEqual(planCohortSpecs(endpoints, [{ count: 3 }, { percent: 100 }]));
  });

  it('makes one cohort when every device is a canary', () => {
    expect(planWithCanaries(['a', 'b'], [{ percent: 100 }], ['a', 'b']).cohortSizes).toEqual([2]);
  });
});
