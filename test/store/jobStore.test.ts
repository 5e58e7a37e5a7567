/**
 * The job store's named operations (core/ports/JobStore.ts, store/DynamoDbJobStore.ts) on dynalite:
 * each is a conditional write that lands only on the job as its caller read it, in the statuses it
 * has a meaning for, and none of them counts as a transition (the version stays). The reads
 * through the keys-only indexes (byEndpoint, byToken) answer whole jobs as they are now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { StaleJobError } from '../../core/jobs/errors.ts';
import { readyJob, startJobTables, stored, T0, type JobTables } from '../coap-edge/jobs/jobStepsHarness.ts';
import { packageTokenFields, packageTokenOf } from '../../core/jobs/packageToken.ts';

describe('the named operations of the job store', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  it('claims a job for a task without changing its version, so the next transition on what was read still lands', async () => {
    const job = await readyJob(tables, 'op-claim', T0, { ownerTask: 'task-a' });

    expect(await tables.jobs.claim(job, 'task-b')).toBe(true);
    const started = await tables.jobs.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0);

    expect(started.success).toBe(true);
    expect(await stored(tables, job)).toMatchObject({ ownerTask: 'task-b', version: 2, status: JobStatus.Downloading });
  });

  it('refuses a claim on a job that moved since it was read', async () => {
    const job = await readyJob(tables, 'op-claim-stale', T0, { ownerTask: 'task-a' });
    expect((await tables.jobs.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0)).success).toBe(true);

    expect(await tables.jobs.claim(job, 'task-b')).toBe(false);
    expect((await stored(tables, job)).ownerTask).toBe('task-a');
  });

  it('requests the cancel of a DOWNLOADING or DOWNLOADED job, and of no job that is installing', async () => {
    const downloading = await readyJob(tables, 'op-cancel', T0, { status: JobStatus.Downloading });
    const updating = await readyJob(tables, 'op-cancel-late', T0, { status: JobStatus.Updating });

    expect(await tables.jobs.requestCancel(downloading, T0 + 7)).toBe(true);
    expect(await tables.jobs.requestCancel(updating, T0 + 7)).toBe(false);

    expect(await stored(tables, downloading)).toMatchObject({ cancelRequested: true, cancelRequestedAt: T0 + 7 });
    expect((await stored(tables, updating)).cancelRequested).toBeUndefined();
  });

  it('lists an owner\'s jobs by key with what the workflow changes: the attempt, a cancel requested', async () => {
    // Prepare
    const owner = 'task-requested';
    const waiting = await readyJob(tables, 'op-list-waiting', T0, { status: JobStatus.Downloaded, ownerTask: owner });
    const toCancel = await readyJob(tables, 'op-list-cancel', T0, { status: JobStatus.Downloaded, ownerTask: owner, attempt: 2 });
    await tables.jobs.requestCancel(toCancel, T0 + 7);

    // Act
    const entries = await tables.jobs.listOwned(owner);

    // Assess
    const byEndpoint = new Map([waiting, toCancel].map((job) => [job.jobKey, job.endpoint]));
    expect(entries.map((entry) => ({ ...entry, endpoint: byEndpoint.get(entry.jobKey) })).sort((a, b) => String(a.endpoint).localeCompare(String(b.endpoint)))).toEqual([
      { campaignId: toCancel.campaignId, jobKey: toCancel.jobKey, attempt: 2, cancelRequested: true, endpoint: toCancel.endpoint },
      { campaignId: waiting.campaignId, jobKey: waiting.jobKey, attempt: 0, endpoint: waiting.endpoint },
    ]);
  });

  it('records the delivery of a DOWNLOADING job only', async () => {
    const downloading = await readyJob(tables, 'op-delivery', T0, { status: JobStatus.Downloading, delivery: 'http-pull' });
    const ready = await readyJob(tables, 'op-delivery-ready', T0);

    expect(await tables.jobs.recordDelivery(downloading, 'coap-pull')).toBe(true);
    expect(await tables.jobs.recordDelivery(ready, 'coap-pull')).toBe(false);

    expect((await stored(tables, downloading)).delivery).toBe('coap-pull');
  });

  it('records how Execute Update ended on an UPDATING job only', async () => {
    const updating = await readyJob(tables, 'op-execute', T0, { status: JobStatus.Updating });
    const downloaded = await readyJob(tables, 'op-execute-early', T0, { status: JobStatus.Downloaded });

    expect(await tables.jobs.recordExecuteOutcome(updating, 'noAnswer', T0 + 3)).toBe(true);
    expect(await tables.jobs.recordExecuteOutcome(downloaded, 'noAnswer', T0 + 3)).toBe(false);

    expect(await stored(tables, updating)).toMatchObject({ executeOutcome: 'noAnswer', executeEndedAt: T0 + 3 });
    expect((await stored(tables, downloaded)).executeOutcome).toBeUndefined();
  });

  it('answers a transition on a job that moved since it was read with a StaleJobError', async () => {
    const job = await readyJob(tables, 'op-stale', T0);
    expect((await tables.jobs.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0)).success).toBe(true);

    const again = await tables.jobs.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0);

    expect(again).toMatchObject({ success: false, error: expect.any(StaleJobError) });
  });

  it('lists every job of a device, whole and as it is now, in campaign order, through the keys-only byEndpoint index', async () => {
    const first = await readyJob(tables, 'op-by-endpoint', T0, { campaignId: 'campaign-a-op-by-endpoint' });
    await readyJob(tables, 'op-by-endpoint', T0, { campaignId: 'campaign-b-op-by-endpoint', status: JobStatus.Succeeded });
    await readyJob(tables, 'op-by-endpoint-other', T0);
    expect((await tables.jobs.transition(first, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0)).success).toBe(true);

    const jobs = await tables.jobs.listForEndpoint('op-by-endpoint');

    expect(jobs.map((job) => [job.campaignId, job.status, job.version])).toEqual([
      ['campaign-a-op-by-endpoint', JobStatus.Downloading, 2],
      ['campaign-b-op-by-endpoint', JobStatus.Succeeded, 1],
    ]);
    expect(jobs[0]).toMatchObject({ imageId: 'image-1', targetVersion: '2.0.0', history: [{ event: 'downloadStarted' }] });
  });

  it('finds the whole job of an indexed Package URI token through the keys-only byToken index, and none for an unknown token', async () => {
    const job = await readyJob(tables, 'op-by-token', T0, { downloadToken: 'indexed-token-op-by-token' });
    expect((await tables.jobs.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0)).success).toBe(true);

    const found = await tables.jobs.findByToken('indexed-token-op-by-token');

    expect(found).toMatchObject({ campaignId: job.campaignId, endpoint: 'op-by-token', status: JobStatus.Downloading, imageId: 'image-1' });
    expect(await tables.jobs.findByToken('no-such-token')).toBeUndefined();
  });

  it('finds the job of a keyed token by its key, and none for a wrong secret or the secret of an attempt before a retry', async () => {
    // Prepare: a job whose attempt the workflow retried with a new secret.
    const job = await readyJob(tables, 'op-keyed', T0, { status: JobStatus.Failing });
    const oldToken = packageTokenOf(job);
    const retried = await tables.jobs.transition(job, { kind: 'retry', reason: 'DEVICE_TIMEOUT', notBefore: T0 }, T0, packageTokenFields(job, 'a-new-secret-0123'));
    if (!retried.success) throw retried.error;
    const newToken = packageTokenOf(retried.data);
    const forged = `${'x'.repeat(16)}${newToken.slice(newToken.indexOf('.'))}`;

    // Act
    const [found, old, wrong] = await Promise.all([newToken, oldToken, forged].map((token) => tables.jobs.findByToken(token)));

    // Assess
    expect(retried.data.downloadToken).toBeUndefined();
    expect(found).toMatchObject({ campaignId: job.campaignId, jobKey: job.jobKey, attempt: 1, packageSecret: 'a-new-secret-0123' });
    expect(old).toBeUndefined();
    expect(wrong).toBeUndefined();
  });

  it('writes a chain of transitions as one conditional write, and refuses it whole on a job that moved', async () => {
    const updating = await readyJob(tables, 'op-chain', T0, { status: JobStatus.Updating, version: 4 });
    const chain = [{ kind: 'reregistered' }, { kind: 'verified', firmwareVersion: '2.0.0' }] as const;

    const verified = await tables.jobs.transition(updating, chain, T0 + 9);
    const again = await tables.jobs.transition(updating, chain, T0 + 10);

    expect(verified.success).toBe(true);
    expect(again).toMatchObject({ success: false, error: expect.any(StaleJobError) });
    const after = await stored(tables, updating);
    expect(after).toMatchObject({ status: JobStatus.Succeeded, version: 6, reportedVersion: '2.0.0', updatedAt: T0 + 9 });
    expect(after.history.map((entry) => entry.to)).toEqual([JobStatus.Verifying, JobStatus.Succeeded]);
  });

  it('takes an ended job out of its owner\'s listing: no task owns it any more', async () => {
    const verifying = await readyJob(tables, 'op-ended', T0, { status: JobStatus.Verifying, ownerTask: 'task-ended' });

    const verified = await tables.jobs.transition(verifying, { kind: 'verified', firmwareVersion: '2.0.0' }, T0 + 1);

    expect(verified.success && verified.data.ownerTask).toBeUndefined();
    expect((await stored(tables, verifying)).ownerTask).toBeUndefined();
    expect(await tables.jobs.listOwned('task-ended')).toEqual([]);
  });
});
