/**
 * Deadlines kept by the executor itself (JobExecutor#tick, JobSteps#expire) on a real job table on
 * dynalite with an injected clock: a job past its deadline fails at the first tick after it, with
 * no workflow running, whatever its device does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobExecutor } from '../../../coap-edge/jobs/JobExecutor.ts';
import { CampaignStatus } from '../../../core/campaign/Campaign.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { FirmwareUpdateState } from '../../../core/lwm2m/firmwareUpdate.ts';
import { ScriptedDevice } from './ScriptedDevice.ts';
import { jobExecutor, readyJob, registerDevice, requestCohortInstall, startJobTables, stored, T0, type JobTables } from './jobStepsHarness.ts';

describe('deadlines the executor keeps itself', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  /** One tick of a fresh executor at `now`, and every step it started, to the end. */
  const tickAt = async (now: number, device = new ScriptedDevice()): Promise<JobExecutor> => {
    const executor = jobExecutor(tables, device, () => now);
    await executor.tick();
    expect(await executor.drain(30_000)).toBe(0);
    return executor;
  };

  it('fails a READY job of an unreachable device DOWNLOAD_TIMEOUT at the first tick past its deadline, not before', async () => {
    const deadline = T0 + 60_000;
    const job = await readyJob(tables, 'dd-unreachable', T0, { deadline });

    await tickAt(deadline - 1);
    expect((await stored(tables, job)).status).toBe(JobStatus.Ready);
    const executor = await tickAt(deadline + 1);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'DOWNLOAD_TIMEOUT' });
    expect((await stored(tables, job)).history.at(-1)?.at).toBe(deadline + 1);
    expect(executor.stats.deadlinesEnforced).toBe(1);
  });

  it('fails a download the device never finishes DOWNLOAD_TIMEOUT at the first tick past its deadline', async () => {
    const device = new ScriptedDevice();
    await registerDevice(tables, 'dd-downloading', T0);
    const deadline = T0 + 60_000;
    const job = await readyJob(tables, 'dd-downloading', T0, { deadline });
    await tickAt(T0, device);
    expect((await stored(tables, job)).status).toBe(JobStatus.Downloading);

    await tickAt(deadline + 1, device);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'DOWNLOAD_TIMEOUT' });
  });

  it('fails an UPDATING job INSTALL_TIMEOUT at the first tick past its deadline', async () => {
    await registerDevice(tables, 'dd-updating', T0);
    const deadline = T0 + 120_000;
    const job = await readyJob(tables, 'dd-updating', T0, { status: JobStatus.Updating, deadline });

    await tickAt(deadline - 1);
    expect((await stored(tables, job)).status).toBe(JobStatus.Updating);
    await tickAt(deadline + 1);

    expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'INSTALL_TIMEOUT' });
  });

  describe("a cohort's install request (on the campaign, not on each job)", () => {
    /** One tick of a fresh executor of `task` at `now`, and every step it started, to the end. */
    const tickOf = async (task: string, now: number, device: ScriptedDevice): Promise<void> => {
      const executor = jobExecutor(tables, device, () => now, task);
      await executor.tick();
      expect(await executor.drain(30_000)).toBe(0);
    };
    /** A DOWNLOADED job of `task` that arrived there at `downloadedAt`, its device holding the package. */
    const downloadedJob = async (task: string, endpoint: string, downloadedAt: number, timeZone?: string) => {
      await registerDevice(tables, endpoint, T0, { ownerTask: task, ...(timeZone === undefined ? {} : { timeZone }) });
      return readyJob(tables, endpoint, T0, { ownerTask: task, status: JobStatus.Downloaded, delivery: 'coap-pull', updatedAt: downloadedAt });
    };

    it('installs a job that reached DOWNLOADED after its cohort\'s install was requested, its deadline counted from its arrival', async () => {
      const device = new ScriptedDevice();
      device.state = FirmwareUpdateState.Downloaded;
      const job = await downloadedJob('task-late', 'ci-late', T0 + 100_000);
      await requestCohortInstall(tables, job, T0, { installTimeoutSeconds: 600 });

      await tickOf('task-late', T0 + 100_001, device);

      expect(device.count('EXECUTE /5/0/2')).toBe(1);
      expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Updating, deadline: T0 + 100_000 + 600_000 });
    });

    it('fails a requested install the device never starts INSTALL_TIMEOUT at the first tick past the deadline, not before', async () => {
      const job = await readyJob(tables, 'ci-unreachable', T0, { ownerTask: 'task-unreachable', status: JobStatus.Downloaded });
      await requestCohortInstall(tables, job, T0 + 10_000, { installTimeoutSeconds: 60 });
      const device = new ScriptedDevice();

      await tickOf('task-unreachable', T0 + 70_000, device);
      expect((await stored(tables, job)).status).toBe(JobStatus.Downloaded);
      await tickOf('task-unreachable', T0 + 70_001, device);

      expect(await stored(tables, job)).toMatchObject({ status: JobStatus.Failing, reason: 'INSTALL_TIMEOUT' });
    });

    it('installs where the device\'s install window is open in its own time zone, and neither installs nor fails a device whose window is closed', async () => {
      // T0 is 00:00 UTC, 09:00 in Tokyo: a 09:00-10:00 window is open in Tokyo, closed in UTC.
      const device = new ScriptedDevice();
      device.state = FirmwareUpdateState.Downloaded;
      const tokyo = await downloadedJob('task-window', 'ci-tokyo', T0, 'Asia/Tokyo');
      const utc = await downloadedJob('task-window', 'ci-utc', T0, 'UTC');
      const window = { start: '09:00', end: '10:00' };
      await requestCohortInstall(tables, tokyo, T0, { installWindow: window, installTimeoutSeconds: 60 });
      await requestCohortInstall(tables, utc, T0, { installWindow: window, installTimeoutSeconds: 60 });

      await tickOf('task-window', T0 + 30_000, device);
      const tokyoAfter = (await stored(tables, tokyo)).status;
      await tickOf('task-window', T0 + 3_000_000, device);

      expect(tokyoAfter).toBe(JobStatus.Updating);
      expect(device.count('EXECUTE /5/0/2')).toBe(1);
      expect((await stored(tables, utc)).status).toBe(JobStatus.Downloaded);
    });

    it('starts no install, and fails none, while the campaign is paused, whatever the request says', async () => {
      const device = new ScriptedDevice();
      device.state = FirmwareUpdateState.Downloaded;
      const job = await downloadedJob('task-paused', 'ci-paused', T0);
      await requestCohortInstall(tables, job, T0, { status: CampaignStatus.Paused, installTimeoutSeconds: 60 });

      await tickOf('task-paused', T0 + 1_000, device);
      await tickOf('task-paused', T0 + 600_000, device);

      expect(device.count('EXECUTE /5/0/2')).toBe(0);
      expect((await stored(tables, job)).status).toBe(JobStatus.Downloaded);
    });

    it('starts no install of a cohort whose install is not requested', async () => {
      const device = new ScriptedDevice();
      device.state = FirmwareUpdateState.Downloaded;
      const job = await downloadedJob('task-unrequested', 'ci-unrequested', T0);
      await requestCohortInstall(tables, { ...job, cohort: 1 }, T0);

      await tickOf('task-unrequested', T0 + 1_000, device);

      expect(device.count('EXECUTE /5/0/2')).toBe(0);
      expect((await stored(tables, job)).status).toBe(JobStatus.Downloaded);
    });
  });
});
