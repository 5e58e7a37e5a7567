import { describe, expect, it } from 'vitest';
import { tallyJobs } from '../../../core/campaign/progress.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';

describe('progress that adds up', () => {
  it('splits a cohort into pending, in progress, succeeded, failed, skipped and cancelled, which sum to its size', () => {
    const statuses = [JobStatus.Pending, JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded, JobStatus.Updating, JobStatus.Verifying, JobStatus.Failing, JobStatus.Failed, JobStatus.Succeeded, JobStatus.Skipped, JobStatus.Cancelled, JobStatus.Cancelled];
    const tally = tallyJobs(statuses.map((status) => ({ status })));
    expect(tally).toMatchObject({ total: 12, pending: 2, inProgress: 4, succeeded: 1, failed: 2, skipped: 1, cancelled: 2 });
    expect(tally.pending + tally.inProgress + tally.succeeded + tally.failed + tally.skipped + tally.cancelled).toBe(tally.total);
  });

  it('does not count an aborted cohort whose devices were cancelled as done', () => {
    const tally = tallyJobs([{ status: JobStatus.Succeeded }, ...Array.from({ length: 13 }, () => ({ status: JobStatus.Cancelled }))]);
    expect(tally.succeeded + tally.failed).toBe(1);
    expect(tally.cancelled).toBe(13);
  });
});
