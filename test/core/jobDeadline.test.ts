import { describe, expect, it } from 'vitest';
import { deadlineReason, mayRetryFromStart } from '../../core/jobs/jobDeadline.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';

const NOW = 1_700_000_000_000;
const job = (status: JobStatus, deadline: number | undefined): Pick<FirmwareJob, 'status' | 'deadline'> => ({ status, ...(deadline === undefined ? {} : { deadline }) });

describe('which deadline the edge enforces', () => {
  it('fails a job not downloaded yet with DOWNLOAD_TIMEOUT once its deadline passed', () => {
    expect(deadlineReason(job(JobStatus.Ready, NOW - 1), NOW)).toBe('DOWNLOAD_TIMEOUT');
    expect(deadlineReason(job(JobStatus.Downloading, NOW - 1), NOW)).toBe('DOWNLOAD_TIMEOUT');
  });

  it('fails an install in progress with INSTALL_TIMEOUT once its deadline passed', () => {
    expect(deadlineReason(job(JobStatus.Downloaded, undefined), NOW, NOW - 1)).toBe('INSTALL_TIMEOUT');
    expect(deadlineReason(job(JobStatus.Updating, NOW - 1), NOW)).toBe('INSTALL_TIMEOUT');
    expect(deadlineReason(job(JobStatus.Verifying, NOW - 1), NOW)).toBe('INSTALL_TIMEOUT');
  });

  it('leaves a downloaded job waiting for its cohort\'s install request alone, whatever its old download deadline', () => {
    expect(deadlineReason(job(JobStatus.Downloaded, NOW - 60_000), NOW)).toBeUndefined();
    expect(deadlineReason(job(JobStatus.Downloaded, NOW - 60_000), NOW, NOW)).toBeUndefined();
  });

  it('leaves a job before its deadline, without one, or ended alone', () => {
    expect(deadlineReason(job(JobStatus.Downloading, NOW), NOW)).toBeUndefined();
    expect(deadlineReason(job(JobStatus.Downloading, undefined), NOW)).toBeUndefined();
    expect(deadlineReason(job(JobStatus.Failed, NOW - 1), NOW)).toBeUndefined();
  });
});

describe('retry from the start', () => {
  const entry = (to: JobStatus) => ({ at: 0, from: JobStatus.Ready, to, event: 'failed' as const });

  it('allows a retry of an attempt that never reached the install', () => {
    expect(mayRetryFromStart({ history: [entry(JobStatus.Downloading), entry(JobStatus.Failing)] })).toBe(true);
  });

  it('refuses a retry once Execute Update was sent and the outcome is unknown (a timeout, a lost read-back)', () => {
    expect(mayRetryFromStart({ history: [entry(JobStatus.Downloaded), entry(JobStatus.Updating), entry(JobStatus.Failing)] })).toBe(false);
  });

  it('allows a retry after the install when the device itself reported that it did not install (Update Result 3)', () => {
    expect(mayRetryFromStart({ history: [entry(JobStatus.Updating), entry(JobStatus.Failing)], updateResult: 3 })).toBe(true);
  });
});
