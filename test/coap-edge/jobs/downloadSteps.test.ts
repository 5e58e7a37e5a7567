/**
 * The download steps of a job (coap-edge/jobs/DownloadSteps.ts) on a real job table on dynalite,
 * against a scripted device: each way a download ends is a named test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { FirmwareUpdateResult, FirmwareUpdateState } from '../../../core/lwm2m/firmwareUpdate.ts';
import { eventually } from '../../integration/eventually.ts';
import { jobParts, readyJob, registerDevice, startJobTables, stored, T0, type JobTables } from './jobStepsHarness.ts';
import { packageTokenOf } from '../../../core/jobs/packageToken.ts';

describe('the download steps of a job', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  it('writes the Package URI with the job token, and a Downloaded notification moves the job to DOWNLOADED', async () => {
    const { device, download } = jobParts(tables);
    await registerDevice(tables, 'dl-ok', T0);
    const job = await readyJob(tables, 'dl-ok', T0);

    await download.start(job);
    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Downloading, delivery: 'coap-pull' });
    device.moveTo(FirmwareUpdateState.Downloaded);

    await eventually(async () => expect((await stored(tables, job)).status).toBe(JobStatus.Downloaded), { what: 'the job DOWNLOADED' });
    expect(device.log).toContain(`WRITE /5/0/1 coap://edge.test:5683/fw/${packageTokenOf(job)}`);
    expect(device.log).toContain('OBSERVE /5/0/3');
  });

  it('reads nothing on a notification that the download is under way: only Downloaded or Idle decide it', async () => {
    const parts = jobParts(tables);
    await registerDevice(tables, 'dl-under-way', T0);
    const job = await readyJob(tables, 'dl-under-way', T0);
    await parts.download.start(job);
    const reads = parts.device.count('READ /5/0');

    parts.device.moveTo(FirmwareUpdateState.Downloading);
    expect(await parts.runner.drain(30_000)).toBe(0);

    expect(parts.device.count('READ /5/0')).toBe(reads);
    expect((await stored(tables, job)).status).toBe(JobStatus.Downloading);
  });

  it('reads the device when the Downloaded notification is lost, and the read moves the job to DOWNLOADED', async () => {
    const { device, download } = jobParts(tables);
    await registerDevice(tables, 'dl-lost-notification', T0);
    const job = await readyJob(tables, 'dl-lost-notification', T0);
    await download.start(job);
    device.state = FirmwareUpdateState.Downloaded;

    await download.checkState(await stored(tables, job));

    expect((await stored(tables, job)).status).toBe(JobStatus.Downloaded);
  });

  it('fails the job with the Update Result name when the device reports the download failed (Idle, result 5)', async () => {
    const { device, download, ended } = jobParts(tables);
    await registerDevice(tables, 'dl-integrity', T0);
    const job = await readyJob(tables, 'dl-integrity', T0);
    await download.start(job);

    device.moveTo(FirmwareUpdateState.Idle, FirmwareUpdateResult.IntegrityCheckFailure);

    await eventually(async () => expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'INTEGRITY_CHECK_FAILURE', updateResult: 5 }), { what: 'the job FAILING' });
    expect(ended.map((j) => j.endpoint)).toEqual(['dl-integrity']);
  });

  it('retries a download whose Package URI write is never answered (DEVICE_TIMEOUT) after a doubling back-off, and fails it on the last attempt', async () => {
    const { device, download } = jobParts(tables, { maxAttempts: 3, retryBackoffMs: 2_000 });
    await registerDevice(tables, 'dl-timeout', T0);
    device.answers.packageUri = 'noAnswer';
    const job = await readyJob(tables, 'dl-timeout', T0);

    await download.start(job);
    const first = await stored(tables, job);
    await download.start(first);
    const second = await stored(tables, job);
    await download.start(second);

    expect(first).toMatchObject({ status: JobStatus.Ready, attempt: 1, reason: 'DEVICE_TIMEOUT', notBefore: T0 + 2_000 });
    expect(second).toMatchObject({ status: JobStatus.Ready, attempt: 2, reason: 'DEVICE_TIMEOUT', notBefore: T0 + 4_000 });
    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, attempt: 2, reason: 'DEVICE_TIMEOUT' });
  });

  it('fails the job PACKAGE_URI_REJECTED when the device refuses the Package URI', async () => {
    const { device, download } = jobParts(tables);
    await registerDevice(tables, 'dl-refused', T0);
    device.answers.packageUri = 'refuse';
    const job = await readyJob(tables, 'dl-refused', T0);

    await download.start(job);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'PACKAGE_URI_REJECTED' });
  });

  it('fails the job UNSUPPORTED_PROTOCOL, without writing anything, when the device takes no delivery the edge offers', async () => {
    const { device, download } = jobParts(tables);
    await registerDevice(tables, 'dl-http-only', T0);
    device.protocols = [2];
    const job = await readyJob(tables, 'dl-http-only', T0);

    await download.start(job);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'UNSUPPORTED_PROTOCOL' });
    expect(device.count('WRITE')).toBe(0);
  });

  it('leaves a READY job alone while its queue-mode device sleeps, and starts it once the device is awake', async () => {
    const { device, download, clock } = jobParts(tables, { queueModeAwakeMs: 10_000 });
    await registerDevice(tables, 'dl-asleep', T0, { queueMode: true });
    const job = await readyJob(tables, 'dl-asleep', T0);
    clock.now = T0 + 10_000;

    await download.start(job);
    expect((await stored(tables, job)).status).toBe(JobStatus.Ready);
    await registerDevice(tables, 'dl-asleep', clock.now, { queueMode: true });
    await download.start(job);

    expect((await stored(tables, job)).status).toBe(JobStatus.Downloading);
    expect(device.count('WRITE /5/0/1')).toBe(1);
  });
});
