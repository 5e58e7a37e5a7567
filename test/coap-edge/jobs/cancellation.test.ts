/**
 * Cancelling a job before its install (coap-edge/jobs/JobCancellation.ts) on a real job table on
 * dynalite, against a scripted device: the device is reset (Cancel, or an empty Package URI), then
 * the job goes CANCELLED; a job past the point of no return is left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { FirmwareUpdateResult, FirmwareUpdateState } from '../../../core/lwm2m/firmwareUpdate.ts';
import { ScriptedDevice } from './ScriptedDevice.ts';
import { jobExecutor, jobParts, readyJob, registerDevice, startJobTables, stored, T0, type JobTables } from './jobStepsHarness.ts';

describe('cancelling a job before its install', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  it('cancels a download under way: Execute Cancel on the device, which goes Idle with result 10, then the job CANCELLED and its observation ended', async () => {
    const { device, download, cancellation } = jobParts(tables);
    await registerDevice(tables, 'cx-downloading', T0);
    const job = await readyJob(tables, 'cx-downloading', T0);
    await download.start(job);

    const outcome = await cancellation.cancelDownload(job, 'CAMPAIGN_CANCELLED');

    expect(outcome).toMatchObject({ kind: 'cancelled', device: 'cancelExecuted', job: { status: JobStatus.Cancelled, reason: 'CAMPAIGN_CANCELLED' } });
    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Cancelled, reason: 'CAMPAIGN_CANCELLED' });
    expect([device.state, device.updateResult]).toEqual([FirmwareUpdateState.Idle, FirmwareUpdateResult.Cancelled]);
    expect(device.isObserved('/5/0/3')).toBe(false);
  });

  it('resets a device without Cancel (4.05) with an empty Package URI', async () => {
    const { device, download, cancellation } = jobParts(tables);
    await registerDevice(tables, 'cx-no-cancel', T0);
    device.answers.cancel = 'refuse';
    const job = await readyJob(tables, 'cx-no-cancel', T0);
    await download.start(job);

    const outcome = await cancellation.cancelDownload(job, 'CAMPAIGN_CANCELLED');

    expect(outcome).toMatchObject({ kind: 'cancelled', device: 'packageUriReset' });
    expect(device.log.at(-1)).toBe('WRITE /5/0/1 ');
    expect(device.state).toBe(FirmwareUpdateState.Idle);
  });

  it('cancels the job of a device that does not answer the Cancel, without waiting for it (its token stops working)', async () => {
    const { device, download, cancellation } = jobParts(tables);
    await registerDevice(tables, 'cx-silent', T0);
    const job = await readyJob(tables, 'cx-silent', T0);
    await download.start(job);
    device.answers.cancel = 'noAnswer';

    const outcome = await cancellation.cancelDownload(job, 'CAMPAIGN_CANCELLED');

    expect(outcome).toMatchObject({ kind: 'cancelled', device: 'notContacted' });
    expect((await stored(tables, job)).status).toBe(JobStatus.Cancelled);
  });

  it('cancels a READY job in the table alone, without a request to the device', async () => {
    const { device, cancellation } = jobParts(tables);
    await registerDevice(tables, 'cx-ready', T0);
    const job = await readyJob(tables, 'cx-ready', T0);

    const outcome = await cancellation.cancelDownload(job, 'CANCELLED');

    expect(outcome).toMatchObject({ kind: 'cancelled', device: 'notContacted' });
    expect(device.log).toEqual([]);
  });

  it('leaves an UPDATING job alone: past the point of no return, nothing is sent to the device', async () => {
    const { device, cancellation } = jobParts(tables);
    await registerDevice(tables, 'cx-updating', T0);
    const job = await readyJob(tables, 'cx-updating', T0, { status: JobStatus.Updating });

    const outcome = await cancellation.cancelDownload(job, 'CANCELLED');

    expect(outcome).toEqual({ kind: 'notCancellable', status: JobStatus.Updating });
    expect(device.log).toEqual([]);
    expect((await stored(tables, job)).status).toBe(JobStatus.Updating);
  });

  it('keeps a Downloaded notification that arrives during the cancel from moving the job: the cancel holds the job, and it ends CANCELLED', async () => {
    const { device, download, cancellation, runner } = jobParts(tables);
    await registerDevice(tables, 'cx-racing', T0);
    const job = await readyJob(tables, 'cx-racing', T0);
    await download.start(job);
    const listed = await stored(tables, job);
    // The device finishes the download just as the cancel reaches it: a step of the job tries to run meanwhile.
    let stepRan: boolean | undefined;
    const execute = device.execute.bind(device);
    device.execute = async (target, path) => {
      stepRan = await runner.run(listed, () => download.checkState(listed));
      return execute(target, path);
    };

    const outcome = await cancellation.cancelDownload(job, 'CAMPAIGN_CANCELLED');

    expect(stepRan).toBe(false);
    expect(outcome).toMatchObject({ kind: 'cancelled' });
    expect((await stored(tables, job)).status).toBe(JobStatus.Cancelled);
  });

  it('resets the device of a job a cancelled campaign marked (requestCancel) at the next tick, then cancels the job', async () => {
    const device = new ScriptedDevice();
    const taskId = 'task-ticking';
    await registerDevice(tables, 'cx-marked', T0, { ownerTask: taskId });
    const job = await readyJob(tables, 'cx-marked', T0, { ownerTask: taskId });
    await jobParts(tables, { taskId }).download.start(job);
    expect(await tables.jobs.requestCancel(await stored(tables, job), T0)).toBe(true);

    const executor = jobExecutor(tables, device, () => T0, taskId);
    await executor.tick();
    expect(await executor.drain(30_000)).toBe(0);

    expect(device.log).toEqual(['EXECUTE /5/0/10']);
    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Cancelled, reason: 'CAMPAIGN_CANCELLED' });
  });
});
