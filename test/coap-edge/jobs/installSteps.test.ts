/**
 * The install steps of a job (coap-edge/jobs/InstallSteps.ts) on a real job table on dynalite,
 * against a scripted device: Execute Update answered, refused, never answered (and sent again only
 * when the device provably missed it), deferred, failed, and the version read back after the reboot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../../core/jobs/FirmwareJob.ts';
import { FirmwareUpdateResult, FirmwareUpdateState } from '../../../core/lwm2m/firmwareUpdate.ts';
import { eventually } from '../../integration/eventually.ts';
import type { RegistrationStore } from '../../../core/ports/RegistrationStore.ts';
import { jobParts, readyJob, registerDevice, startJobTables, stored, T0, type JobParts, type JobTables } from './jobStepsHarness.ts';

describe('the install steps of a job', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  /** A DOWNLOADED job whose install the workflow requested, its device holding the package. */
  const downloaded = async (parts: JobParts, endpoint: string): Promise<FirmwareJob> => {
    await registerDevice(tables, endpoint, T0);
    parts.device.state = FirmwareUpdateState.Downloaded;
    return readyJob(tables, endpoint, T0, { status: JobStatus.Downloaded, delivery: 'coap-pull' });
  };

  it('sends Execute Update once to a Downloaded device and moves the job to UPDATING, with no write for the answer (an answered Execute is never sent again)', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-accepted');

    await parts.install.start(job, T0 + 600_000);

    expect(parts.device.count('EXECUTE /5/0/2')).toBe(1);
    const after = await stored(tables, job);
    expect(after).toMatchObject({ status: JobStatus.Updating, version: job.version + 1 });
    expect(after.executeOutcome).toBeUndefined();
  });

  it('records an Execute Update that is never answered as noAnswer and keeps the job UPDATING for the re-registration to decide', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-no-answer');
    parts.device.answers.update = 'noAnswer';

    await parts.install.start(job, T0 + 600_000);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Updating, executeOutcome: 'noAnswer', executeEndedAt: T0 });
  });

  it('sends an unanswered Execute Update again, once, when a later read finds the device still Downloaded with no result', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-resend');
    parts.device.answers.update = 'noAnswer';
    await parts.install.start(job, T0 + 600_000);
    parts.device.answers.update = 'accept';
    parts.clock.now = T0 + parts.settings.stateCheckIntervalMs;

    await parts.install.checkUpdating(await stored(tables, job));
    await parts.install.checkUpdating(await stored(tables, job));

    expect(parts.device.count('EXECUTE /5/0/2')).toBe(2);
    const after = await stored(tables, job);
    expect(after).toMatchObject({ status: JobStatus.Updating, executeResends: 1 });
    expect(after.executeOutcome).toBeUndefined();
    expect(after.history.filter((h) => h.event === 'executeResent')).toHaveLength(1);
  });

  it('never sends Execute Update again once the device answered it, even while a read still shows Downloaded', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-answered');
    await parts.install.start(job, T0 + 600_000);
    parts.device.state = FirmwareUpdateState.Downloaded;
    parts.clock.now = T0 + parts.settings.stateCheckIntervalMs;

    await parts.install.checkUpdating(await stored(tables, job));

    expect(parts.device.count('EXECUTE /5/0/2')).toBe(1);
    expect((await stored(tables, job)).status).toBe(JobStatus.Updating);
  });

  it('fails the job UPDATE_REFUSED when the device refuses Execute Update', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-refused');
    parts.device.answers.update = 'refuse';

    await parts.install.start(job, T0 + 600_000);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'UPDATE_REFUSED' });
  });

  it('fails the job PACKAGE_LOST without executing when the device is Idle again', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-lost');
    parts.device.state = FirmwareUpdateState.Idle;

    await parts.install.start(job, T0 + 600_000);

    expect(parts.device.count('EXECUTE')).toBe(0);
    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'PACKAGE_LOST' });
  });

  it('puts a deferred update (Update Result 11) back to DOWNLOADED until the defer wait has passed', async () => {
    const parts = jobParts(tables, { deferRetryMs: 30_000 });
    const job = await downloaded(parts, 'in-deferred');
    await parts.install.start(job, T0 + 600_000);

    parts.device.moveTo(FirmwareUpdateState.Downloaded, FirmwareUpdateResult.Deferred);

    await eventually(async () => expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Downloaded, deferrals: 1, notBefore: T0 + 30_000 }), { what: 'the job DOWNLOADED after a deferral' });
  });

  it('fails the job UPDATE_DEFERRED once the device deferred more often than allowed', async () => {
    const parts = jobParts(tables, { maxDeferrals: 1 });
    await registerDevice(tables, 'in-deferred-often', T0);
    const job = await readyJob(tables, 'in-deferred-often', T0, { status: JobStatus.Updating, deferrals: 1 });
    parts.device.state = FirmwareUpdateState.Downloaded;
    parts.device.updateResult = FirmwareUpdateResult.Deferred;

    await parts.install.checkUpdating(job);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'UPDATE_DEFERRED', updateResult: 11 });
  });

  it('fails the job with the Update Result name when the device reports the install failed (result 8)', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-failed');
    await parts.install.start(job, T0 + 600_000);

    parts.device.moveTo(FirmwareUpdateState.Idle, FirmwareUpdateResult.UpdateFailed);

    await eventually(async () => expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'UPDATE_FAILED', updateResult: 8 }), { what: 'the job FAILING' });
  });

  it('succeeds the job when the device registered again and reports the target version', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-verified');
    await parts.install.start(job, T0 + 600_000);
    parts.device.reboot('2.0.0');
    await registerDevice(tables, 'in-verified', T0 + 1);
    parts.clock.now = T0 + parts.settings.stateCheckIntervalMs;

    await parts.install.checkUpdating(await stored(tables, job));

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Succeeded, reportedVersion: '2.0.0' });
    expect((await tables.registrations.get('in-verified'))?.firmwareVersion).toBe('2.0.0');
  });

  it('leaves a registration that came back on the target version to the next state check, and writes no version the registry already holds', async () => {
    const registrations = countingUpdates(tables.registrations);
    const parts = jobParts(tables, { registrations: registrations.store });
    const job = await downloaded(parts, 'in-known-version');
    await parts.install.start(job, T0 + 600_000);
    parts.device.reboot('2.0.0');
    await registerDevice(tables, 'in-known-version', T0 + 1, { firmwareVersion: '2.0.0' });

    await parts.install.checkUpdating(await stored(tables, job));
    const beforeTheCheck = (await stored(tables, job)).status;
    parts.clock.now = T0 + parts.settings.stateCheckIntervalMs;
    await parts.install.checkUpdating(await stored(tables, job));

    expect(beforeTheCheck).toBe(JobStatus.Updating);
    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Succeeded, reportedVersion: '2.0.0' });
    expect(registrations.updates()).toBe(0);
  });

  it('fails the job VERSION_MISMATCH with the version the device reports when it came back on another version', async () => {
    const parts = jobParts(tables);
    const job = await downloaded(parts, 'in-mismatch');
    await parts.install.start(job, T0 + 600_000);
    parts.device.reboot('1.0.0', FirmwareUpdateResult.Initial);
    await registerDevice(tables, 'in-mismatch', T0 + 1);
    parts.clock.now = T0 + parts.settings.stateCheckIntervalMs;

    await parts.install.checkUpdating(await stored(tables, job));

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'VERSION_MISMATCH', reportedVersion: '1.0.0' });
  });

  it('verifies an UPDATING job after the reboot in one conditional write, UPDATING -> VERIFYING -> SUCCEEDED both in its history', async () => {
    const parts = jobParts(tables);
    await registerDevice(tables, 'in-verify', T0);
    const job = await readyJob(tables, 'in-verify', T0, { status: JobStatus.Updating, version: 4 });
    parts.device.reboot('2.0.0');

    await parts.install.verify(job);

    const after = await stored(tables, job);
    expect(after).toMatchObject({ status: JobStatus.Succeeded, version: 6, reportedVersion: '2.0.0' });
    expect(after.history.map((entry) => [entry.from, entry.to])).toEqual([
      [JobStatus.Updating, JobStatus.Verifying],
      [JobStatus.Verifying, JobStatus.Succeeded],
    ]);
  });

  it('fails an UPDATING job whose device came back on another version, through VERIFYING', async () => {
    const parts = jobParts(tables);
    await registerDevice(tables, 'in-verify-mismatch', T0);
    const job = await readyJob(tables, 'in-verify-mismatch', T0, { status: JobStatus.Updating, version: 4 });
    parts.device.reboot('1.0.1');

    await parts.install.verify(job);

    const after = await stored(tables, job);
    expect(after).toMatchObject({ status: JobStatus.Failing, reason: 'VERSION_MISMATCH', reportedVersion: '1.0.1' });
    expect(after.history.map((entry) => entry.to)).toEqual([JobStatus.Verifying, JobStatus.Failing]);
  });
});

/** The registry, counting the updates the steps write to it. */
function countingUpdates(registrations: RegistrationStore): { readonly store: RegistrationStore; readonly updates: () => number } {
  let updates = 0;
  const store = Object.create(registrations) as { -readonly [K in keyof RegistrationStore]: RegistrationStore[K] };
  store.update = (...args) => {
    updates++;
    return registrations.update(...args);
  };
  return { store, updates: () => updates };
}
