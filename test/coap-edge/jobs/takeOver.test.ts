/**
 * Which task drives a job (coap-edge/jobs/JobTakeOver.ts, JobSteps#reachableDevice) on a real job
 * table on dynalite: the task that last heard from the device, since only it can reach the device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { FirmwareUpdateState } from '../../../core/lwm2m/firmwareUpdate.ts';
import { ScriptedDevice } from './ScriptedDevice.ts';
import { jobExecutor, jobParts, OTHER_TASK, readyJob, registerDevice, requestCohortInstall, startJobTables, stored, T0, TASK, type JobTables } from './jobStepsHarness.ts';

describe('which edge task drives a job', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  it("takes over another task's job whose device pulls blocks here: the job and the registration move to this task, the device's address stays", async () => {
    const { takeOver, stats } = jobParts(tables);
    await registerDevice(tables, 'to-blocks', T0, { ownerTask: OTHER_TASK });
    const registered = await tables.registrations.get('to-blocks');
    const job = await readyJob(tables, 'to-blocks', T0, { status: JobStatus.Downloading, ownerTask: OTHER_TASK });

    await takeOver.fromDownloadRequest(job);

    expect((await stored(tables, job)).ownerTask).toBe(TASK);
    // The blocks may come from a socket of the client's own that answers no LwM2M request.
    expect(await tables.registrations.get('to-blocks')).toMatchObject({ ownerTask: TASK, address: registered?.address, port: registered?.port });
    expect(stats.takenOver).toBe(1);
  });

  it('does not take over a job that another writer moved since it was read', async () => {
    const { takeOver, stats } = jobParts(tables);
    await registerDevice(tables, 'to-stale', T0, { ownerTask: OTHER_TASK });
    const job = await readyJob(tables, 'to-stale', T0, { status: JobStatus.Downloading, ownerTask: OTHER_TASK });
    const moved = await tables.jobs.transition(job, { kind: 'downloaded' }, T0);
    expect(moved.success).toBe(true);

    await takeOver.fromDownloadRequest(job);

    expect((await stored(tables, job)).ownerTask).toBe(OTHER_TASK);
    expect(stats.takenOver).toBe(0);
  });

  it('hands a job to the task its device speaks to, and sends the device nothing from here', async () => {
    const { device, download } = jobParts(tables);
    await registerDevice(tables, 'to-hand-over', T0, { ownerTask: OTHER_TASK });
    const job = await readyJob(tables, 'to-hand-over', T0);

    await download.start(job);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Ready, ownerTask: OTHER_TASK });
    expect(device.log).toEqual([]);
  });

  it('claims the job of a device that registers here, but leaves a PENDING job to the workflow', async () => {
    const { takeOver } = jobParts(tables);
    const ready = await readyJob(tables, 'to-registered', T0, { ownerTask: OTHER_TASK });
    const pending = await readyJob(tables, 'to-pending', T0, { status: JobStatus.Pending, ownerTask: OTHER_TASK });

    const claimed = await takeOver.fromRegistration(ready);
    const left = await takeOver.fromRegistration(pending);

    expect(claimed?.ownerTask).toBe(TASK);
    expect((await stored(tables, ready)).ownerTask).toBe(TASK);
    expect(left).toBe(pending);
    expect((await stored(tables, pending)).ownerTask).toBe(OTHER_TASK);
  });

  it('claims the READY job of a device that registers here and starts its download at once', async () => {
    const device = new ScriptedDevice();
    const registration = await registerDevice(tables, 'to-register-start', T0);
    const job = await readyJob(tables, 'to-register-start', T0, { ownerTask: OTHER_TASK });

    await jobExecutor(tables, device, () => T0).onRegistration({ kind: 'registered', registration });

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Downloading, ownerTask: TASK });
    expect(device.count('WRITE /5/0/1')).toBe(1);
  });

  it('verifies the UPDATING job of a device that registers again after its reboot', async () => {
    const device = new ScriptedDevice();
    device.reboot('2.0.0');
    const job = await readyJob(tables, 'to-rebooted', T0, { status: JobStatus.Updating });
    const registration = await registerDevice(tables, 'to-rebooted', T0 + 1);

    await jobExecutor(tables, device, () => T0 + 1).onRegistration({ kind: 'registered', registration });

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Succeeded, reportedVersion: '2.0.0' });
    expect(device.state).toBe(FirmwareUpdateState.Idle);
  });

  it('starts the install of the job it holds for a device that registers (a queue-mode device waking) without reading the device\'s jobs from the table', async () => {
    // Prepare: an executor of its own task holding the device's DOWNLOADED job from its last
    // listing; the cohort's install is requested after that listing.
    const task = 'task-held-wake';
    const clock = { now: T0 + 1 };
    const device = new ScriptedDevice();
    device.state = FirmwareUpdateState.Downloaded;
    const job = await readyJob(tables, 'to-held-wake', T0, { status: JobStatus.Downloaded, delivery: 'coap-pull', ownerTask: task });
    let endpointReads = 0;
    const counting = Object.assign(Object.create(tables.jobs) as JobTables['jobs'], {
      listForEndpoint: (endpoint: string) => {
        endpointReads++;
        return tables.jobs.listForEndpoint(endpoint);
      },
    });
    const executor = jobExecutor({ ...tables, jobs: counting }, device, () => clock.now, task);
    await executor.tick();
    const requestedAt = T0 + 4_000_000;
    await requestCohortInstall(tables, job, requestedAt);
    clock.now = requestedAt + 1;
    const registration = await registerDevice(tables, 'to-held-wake', clock.now, { ownerTask: task });

    // Act
    await executor.onRegistration({ kind: 'registered', registration, previous: registration });

    // Assess
    expect(endpointReads).toBe(0);
    expect(device.count('EXECUTE /5/0/2')).toBe(1);
    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Updating, deadline: requestedAt + 600_000 });
    executor.stop();
  });

  it('reads the jobs of a device that comes from another task, though it holds a copy of its job (that task may have claimed it)', async () => {
    const task = 'task-held-moved';
    const job = await readyJob(tables, 'to-held-moved', T0, { status: JobStatus.Downloaded, delivery: 'coap-pull', ownerTask: task });
    let endpointReads = 0;
    const counting = Object.assign(Object.create(tables.jobs) as JobTables['jobs'], {
      listForEndpoint: (endpoint: string) => {
        endpointReads++;
        return tables.jobs.listForEndpoint(endpoint);
      },
    });
    const executor = jobExecutor({ ...tables, jobs: counting }, new ScriptedDevice(), () => T0 + 1, task);
    await executor.tick();
    const registration = await registerDevice(tables, 'to-held-moved', T0 + 1, { ownerTask: task });

    await executor.onRegistration({ kind: 'updated', registration, previous: { ...registration, ownerTask: OTHER_TASK } });

    expect(endpointReads).toBe(1);
    expect((await stored(tables, job)).ownerTask).toBe(task);
    executor.stop();
  });
});
