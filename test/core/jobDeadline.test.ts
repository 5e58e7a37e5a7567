import { describe, expect, it } from 'vitest';
import { deadlineReason } from '../../core/jobs/jobDeadline.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';

const NOW = 1_700_000_000_000;
const job = (status: JobStatus, deadline: number | undefined, installRequested = false): FirmwareJob =>
  ({ status, installRequested, ...(deadline === undefined ? {} : { deadline }) }) as FirmwareJob;

describe('which deadline the edge enforces', () => {
  it('fails a job not downloaded yet with DOWNLOAD_TIMEOUT once its deadline passed', () => {
    expect(deadlineReason(job(JobStatus.Ready, NOW - 1), NOW)).toBe('DOWNLOAD_TIMEOUT');
    expect(deadlineReason(job(JobStatus.Downloading, NOW - 1), NOW)).toBe('DOWNLOAD_TIMEOUT');
  });

  it('fails an install in progress with INSTALL_TIMEOUT once its deadline passed', () => {
    expect(deadlineReason(job(JobStatus.Downloaded, NOW - 1, true), NOW)).toBe('INSTALL_TIMEOUT');
    expect(deadlineReason(job(JobStatus.Updating, NOW - 1), NOW)).toBe('INSTALL_TIMEOUT');
    expect(deadlineReason(job(JobStatus.Verifying, NOW - 1), NOW)).toBe('INSTALL_TIMEOUT');
  });

  it('leaves a downloaded job waiting for its install phase alone, whatever its old download deadline', () => {
    expect(deadlineReason(job(JobStatus.Downloaded, NOW - 60_000, false), NOW)).toBeUndefined();
  });

  it('leaves a job before its deadline, without one, or ended alone', () => {
    expect(deadlineReason(job(JobStatus.Downloading, NOW), NOW)).toBeUndefined();
    expect(deadlineReason(job(JobStatus.Downloading, undefined), NOW)).toBeUndefined();
    expect(deadlineReason(job(JobStatus.Failed, NOW - 1), NOW)).toBeUndefined();
  });
});
