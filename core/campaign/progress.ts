/**
 * Cohort progress and the gate decisions the workflow takes on it. Pure: the workflow's Evaluate
 * task loads the cohort's jobs and asks these functions what happens next.
 */
import { JobStatus, isFailure, isTerminal } from '../jobs/jobStateMachine.ts';

export type CampaignPhase = 'download' | 'install';

export interface CohortTally {
  readonly total: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly failureReasons: Readonly<Record<string, number>>;
  /** Terminal jobs, skipped and cancelled included: what the workflow's gates count. */
  readonly finished: number;
  readonly succeeded: number;
  /** FAILED, and FAILING (a failed attempt the retry policy has not ruled on yet). */
  readonly failed: number;
  /** Not released yet (PENDING) or released and not started (READY). */
  readonly pending: number;
  /** Downloading, downloaded, installing or verifying. */
  readonly inProgress: number;
  readonly skipped: number;
  readonly cancelled: number;
}

export interface TalliedJob {
  readonly status: JobStatus;
  readonly reason?: string;
}

export function tallyJobs(jobs: readonly TalliedJob[]): CohortTally {
  const byStatus: Record<string, number> = {};
  const failureReasons: Record<string, number> = {};
  let finished = 0;
  for (const job of jobs) {
    byStatus[job.status] = (byStatus[job.status] ?? 0) + 1;
    if (isTerminal(job.status)) finished++;
    if (isFailure(job.status)) {
      const reason = job.reason ?? 'UNKNOWN';
      failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
    }
  }
  return {
    total: jobs.length,
    byStatus,
    failureReasons,
    finished,
    succeeded: byStatus[JobStatus.Succeeded] ?? 0,
    failed: (byStatus[JobStatus.Failed] ?? 0) + (byStatus[JobStatus.Failing] ?? 0),
    // pending + inProgress + succeeded + failed + skipped + cancelled = total.
    pending: count(byStatus, [JobStatus.Pending, JobStatus.Ready]),
    inProgress: count(byStatus, [JobStatus.Downloading, JobStatus.Downloaded, JobStatus.Updating, JobStatus.Verifying]),
    skipped: byStatus[JobStatus.Skipped] ?? 0,
    cancelled: byStatus[JobStatus.Cancelled] ?? 0,
  };
}

const count = (byStatus: Readonly<Record<string, number>>, statuses: readonly JobStatus[]): number => statuses.reduce((sum, status) => sum + (byStatus[status] ?? 0), 0);

/** A phase is complete when no job of the cohort still has work in that phase. */
export function isPhaseComplete(phase: CampaignPhase, tally: CohortTally): boolean {
  const settled =
    phase === 'download'
      ? tally.finished + (tally.byStatus[JobStatus.Downloaded] ?? 0)
      : tally.finished;
  return settled >= tally.total;
}
