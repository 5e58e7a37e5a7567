/**
 * The jobs an edge task holds between listings (coap-edge/jobs/OwnedJobs.ts), on a real job table
 * on dynalite: copies kept by the writes made through it, read again when the owner's listing shows
 * the workflow changed them, dropped when the listing no longer shows them or a write is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnedJobs } from '../../../coap-edge/jobs/OwnedJobs.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../../core/jobs/FirmwareJob.ts';
import { readyJob, startJobTables, stored, T0, type JobTables } from './jobStepsHarness.ts';
import { packageTokenOf } from '../../../core/jobs/packageToken.ts';

describe('the jobs an edge task holds', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  const statusOf = (jobs: readonly FirmwareJob[], job: FirmwareJob): JobStatus | undefined => jobs.find((held) => held.jobKey === job.jobKey && held.campaignId === job.campaignId)?.status;

  it('holds what its own writes made of a job, without reading it again', async () => {
    const owned = new OwnedJobs(tables.jobs, 'task-own-writes');
    const job = await readyJob(tables, 'owned-own-writes', T0, { ownerTask: 'task-own-writes' });
    const [listed] = await owned.list();
    if (listed === undefined) throw new Error('the job was not listed');

    const started = await owned.jobs.transition(listed, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 60_000 }, T0);

    expect(started.success).toBe(true);
    expect(statusOf(owned.current(), job)).toBe(JobStatus.Downloading);
    expect(statusOf(await owned.list(), job)).toBe(JobStatus.Downloading);
  });

  it('reads a job again once the workflow requested its cancel', async () => {
    const owned = new OwnedJobs(tables.jobs, 'task-cancel');
    const job = await readyJob(tables, 'owned-cancel', T0, { ownerTask: 'task-cancel', status: JobStatus.Downloaded });
    await owned.list();

    expect(await tables.jobs.requestCancel(await stored(tables, job), T0 + 60_000)).toBe(true);

    expect((await owned.list()).map((held) => held.cancelRequested)).toEqual([true]);
  });

  it('reads a copy gone stale unseen by the listing (the workflow failed the job) again after its one refused write', async () => {
    // Prepare: a job held DOWNLOADED; the workflow fails it at its install deadline, which changes no listed attribute.
    const owned = new OwnedJobs(tables.jobs, 'task-stale');
    const job = await readyJob(tables, 'owned-stale', T0, { ownerTask: 'task-stale', status: JobStatus.Downloaded });
    const [held] = await owned.list();
    if (held === undefined) throw new Error('the job was not listed');
    const failed = await tables.jobs.transition(held, { kind: 'failed', reason: 'INSTALL_TIMEOUT' }, T0 + 1);
    expect(failed.success).toBe(true);

    // Act
    const stillHeld = statusOf(await owned.list(), job);
    const refused = await owned.jobs.transition(held, { kind: 'updateStarted', deadline: T0 + 60_000 }, T0 + 2);
    const afterRefusal = statusOf(await owned.list(), job);

    // Assess
    expect(stillHeld).toBe(JobStatus.Downloaded);
    expect(refused.success).toBe(false);
    expect(afterRefusal).toBe(JobStatus.Failing);
  });

  it('lets go of a job another task claimed and of a job that ended', async () => {
    const owned = new OwnedJobs(tables.jobs, 'task-let-go');
    const claimed = await readyJob(tables, 'owned-claimed', T0, { ownerTask: 'task-let-go' });
    const ending = await readyJob(tables, 'owned-ending', T0, { ownerTask: 'task-let-go' });
    expect(await owned.list()).toHaveLength(2);

    expect(await tables.jobs.claim(claimed, 'task-elsewhere')).toBe(true);
    expect((await tables.jobs.transition(ending, { kind: 'cancelled', reason: 'CAMPAIGN_CANCELLED' }, T0 + 1)).success).toBe(true);

    expect(await owned.list()).toEqual([]);
  });

  it('answers the Package URI token of a job it holds from its copy, without a read, and reads the store for any other token', async () => {
    // Prepare: a held DOWNLOADING job, and a held job that failed; reads of the store counted.
    let storeLookups = 0;
    const counting = Object.assign(Object.create(tables.jobs) as JobTables['jobs'], {
      findByToken: (token: string) => {
        storeLookups++;
        return tables.jobs.findByToken(token);
      },
    });
    const owned = new OwnedJobs(counting, 'task-token');
    const downloading = await readyJob(tables, 'owned-token', T0, { ownerTask: 'task-token', status: JobStatus.Downloading });
    const failed = await readyJob(tables, 'owned-token-failed', T0, { ownerTask: 'task-token', status: JobStatus.Failing });
    await owned.list();

    // Act
    const fromCopy = await owned.jobs.findByToken(packageTokenOf(downloading));
    const lookupsAfterCopy = storeLookups;
    const wrongSecret = await owned.jobs.findByToken(packageTokenOf({ ...downloading, packageSecret: 'not-the-secret-0' }));
    const notDownloadable = await owned.jobs.findByToken(packageTokenOf(failed));

    // Assess
    expect(fromCopy).toMatchObject({ campaignId: downloading.campaignId, jobKey: downloading.jobKey, status: JobStatus.Downloading });
    expect(lookupsAfterCopy).toBe(0);
    expect(wrongSecret).toBeUndefined();
    expect(notDownloadable?.status).toBe(JobStatus.Failing);
    expect(storeLookups).toBe(2);
  });
});
