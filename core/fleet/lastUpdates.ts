/**
 * Which devices failed their last update: from every job's outcome, the latest finished job of
 * each device (SKIPPED does not count: nothing was tried). Pure.
 */
import { JobStatus, isTerminal } from '../jobs/jobStateMachine.ts';

/** What the inventory reads of a job. */
export interface JobOutcome {
  readonly endpoint: string;
  readonly campaignId: string;
  readonly status: JobStatus;
  readonly reason?: string;
  readonly targetVersion: string;
  readonly updatedAt: number;
}

/** Devices whose latest finished update FAILED, with that job; by endpoint. */
export function failedLastUpdates(jobs: Iterable<JobOutcome>): JobOutcome[] {
  const latest = new Map<string, JobOutcome>();
  for (const job of jobs) {
    if (!isTerminal(job.status) || job.status === JobStatus.Skipped) continue;
    const seen = latest.get(job.endpoint);
    if (seen === undefined || job.updatedAt > seen.updatedAt) latest.set(job.endpoint, job);
  }
  return [...latest.values()].filter((job) => job.status === JobStatus.Failed).sort((a, b) => a.endpoint.localeCompare(b.endpoint));
}
