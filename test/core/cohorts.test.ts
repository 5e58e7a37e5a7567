import { describe, expect, it } from 'vitest';
import { InvalidCohortPlanError, planCohorts } from '../../core/campaign/cohorts.ts';
import { isPhaseComplete, tallyJobs } from '../../core/campaign/progress.ts';
import { abortReason } from '../../core/campaign/rollout.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';

const endpoints = (n: number) => Array.from({ length: n }, (_, i) => `dev-${i}`);

describe('cohort planning', () => {
  it('splits 1000 devices into 1% / 10% / 100% cohorts of 10, 90 and 900', () => {
    const plan = planCohorts(endpoints(1000), [1, 10, 100]);
    expect(plan.cohortSizes).toEqual([10, 90, 900]);
    expect(plan.assignments.size).toBe(1000);
  });

  it('gives every cohort at least one device and drops cohorts left empty', () => {
    const plan = planCohorts(endpoints(3), [1, 2, 50, 100]);
    expect(plan.cohortSizes).toEqual([1, 1, 1]);
  });

  it('plans the same fleet the same way twice, in an order that is not alphabetical', () => {
    const first = planCohorts(endpoints(200), [5, 100]);
    const second = planCohorts([...endpoints(200)].reverse(), [5, 100]);
    expect([...first.assignments].sort()).toEqual([...second.assignments].sort());
    const canary = [...first.assignments].filter(([, c]) => c === 0).map(([e]) => e);
    expect(canary).not.toEqual(endpoints(10).slice(0, canary.length));
  });

  it('rejects percentages that are not cumulative or do not reach 100', () => {
    expect(() => planCohorts(endpoints(5), [50, 10, 100])).toThrow(InvalidCohortPlanError);
    expect(() => planCohorts(endpoints(5), [10, 50])).toThrow(/100%/);
    expect(() => planCohorts(endpoints(5), [])).toThrow(InvalidCohortPlanError);
  });
});

describe('cohort progress', () => {
  const jobs = [
    { status: JobStatus.Succeeded },
    { status: JobStatus.Failed, reason: 'INTEGRITY_CHECK_FAILURE' },
    { status: JobStatus.Downloaded },
    { status: JobStatus.Skipped },
  ];

  it('counts statuses and failure reasons', () => {
    const tally = tallyJobs(jobs);
    expect(tally).toMatchObject({ total: 4, finished: 3, succeeded: 1, failed: 1, failureReasons: { INTEGRITY_CHECK_FAILURE: 1 } });
  });

  it('calls the download phase complete when the rest have downloaded, the install phase only when all finished', () => {
    const tally = tallyJobs(jobs);
    expect(isPhaseComplete('download', tally)).toBe(true);
    expect(isPhaseComplete('install', tally)).toBe(false);
  });

  it('aborts only when the failed share of the cohort exceeds the threshold', () => {
    const tally = tallyJobs(jobs);
    expect(abortReason(tally, { failurePercent: 24 })).toBe('failures 25.0% > 24%');
    expect(abortReason(tally, { failurePercent: 25 })).toBeUndefined();
    expect(abortReason(tallyJobs([{ status: JobStatus.Succeeded }]), { failurePercent: 0 })).toBeUndefined();
  });
});
