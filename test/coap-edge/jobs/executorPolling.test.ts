/**
 * What a tick of the executor reads (JobExecutor#listOwned, coap-edge/jobs/OwnedJobs.ts), on a
 * real job table on dynalite with an injected clock: the owner's listing every tick while the task
 * owns few jobs, a job itself only when its entry is new or the workflow changed it; jobs to start
 * handed to the steps while they have room.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirmwareDevices } from '../../../coap-edge/jobs/deviceFirmware.ts';
import type { JobStore } from '../../../core/ports/JobStore.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { FirmwareUpdateState } from '../../../core/lwm2m/firmwareUpdate.ts';
import { ScriptedDevice } from './ScriptedDevice.ts';
import { jobExecutor, readyJob, registerDevice, requestCohortInstall, startJobTables, stored, T0, type JobTables } from './jobStepsHarness.ts';

const TASK = 'task-polling';
const UNDER_WAY_SCAN_MS = 10_000;

/** A scripted device whose reads are answered only once the test releases them: steps hold their slot. */
class HeldDevice extends ScriptedDevice {
  private releaseReads: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => (this.releaseReads = resolve));

  release(): void {
    this.releaseReads();
  }

  override async read(device: unknown, path: string): ReturnType<FirmwareDevices['read']> {
    await this.released;
    return super.read(device, path);
  }
}

describe('what the executor reads at each tick', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  it('reads a job from the table only when its entry in the owner\'s listing is new or changed by the workflow, not for its cohort\'s install request', async () => {
    // Prepare: a job downloaded, its cohort's install not yet requested, and one to start,
    // counted where the executor reads jobs from the table.
    const owner = 'task-reads';
    const jobs = await Promise.all(
      ['reads-1', 'reads-2'].map(async (endpoint, i) => {
        await registerDevice(tables, endpoint, T0, { ownerTask: owner });
        return readyJob(tables, endpoint, T0, { ownerTask: owner, ...(i === 0 ? { status: JobStatus.Downloaded, delivery: 'coap-pull' as const } : {}) });
      }),
    );
    const reads: string[][] = [];
    const counting: JobStore = Object.assign(Object.create(tables.jobs) as JobStore, {
      getMany: (keys: Parameters<JobStore['getMany']>[0]) => {
        reads.push(keys.map((key) => key.jobKey).sort());
        return tables.jobs.getMany(keys);
      },
    });
    const device = new ScriptedDevice();
    const executor = jobExecutor({ ...tables, jobs: counting as JobTables['jobs'] }, device, () => T0, owner);

    // Act: the first tick starts the download, the second finds nothing new, the third the
    // install the workflow requested for the downloaded job's cohort.
    await executor.tick();
    expect(await executor.drain(30_000)).toBe(0);
    executor.start();
    await executor.tick();
    const [first] = jobs;
    if (first === undefined) throw new Error('no job');
    await requestCohortInstall(tables, first, T0);
    device.state = FirmwareUpdateState.Downloaded;
    await executor.tick();
    expect(await executor.drain(30_000)).toBe(0);

    // Assess: both read once when new, and not again for the install: the cohort's request is on the campaign.
    expect(reads).toEqual([jobs.map((job) => job.jobKey).sort()]);
    expect(await Promise.all(jobs.map(async (job) => (await stored(tables, job)).status))).toEqual([JobStatus.Updating, JobStatus.Downloading]);
  });

  it('starts a job waiting for its time (a retry\'s back-off) only at the first tick after it', async () => {
    const owner = 'task-due';
    await registerDevice(tables, 'due-1', T0, { ownerTask: owner });
    const job = await readyJob(tables, 'due-1', T0, { ownerTask: owner, notBefore: T0 + 60_000 });
    const clock = { now: T0 };
    const device = new ScriptedDevice();
    const executor = jobExecutor(tables, device, () => clock.now, owner);

    await executor.tick();
    expect(await executor.drain(30_000)).toBe(0);
    const before = { status: (await stored(tables, job)).status, writes: device.count('WRITE /5/0/1') };
    executor.start();
    clock.now = T0 + 60_000;
    await executor.tick();
    expect(await executor.drain(30_000)).toBe(0);

    expect(before).toEqual({ status: JobStatus.Ready, writes: 0 });
    expect(device.count('WRITE /5/0/1')).toBe(1);
    expect((await stored(tables, job)).status).toBe(JobStatus.Downloading);
  });

  it('starts every job through one slot as it frees, each once, however many ticks pass while they wait', async () => {
    // Prepare: one slot, three jobs to start; the first step holds the slot on the device's read.
    const jobs = await Promise.all(
      ['poll-1', 'poll-2', 'poll-3'].map(async (endpoint) => {
        await registerDevice(tables, endpoint, T0, { ownerTask: TASK });
        return readyJob(tables, endpoint, T0, { ownerTask: TASK });
      }),
    );
    const clock = { now: T0 };
    const device = new HeldDevice();
    const executor = jobExecutor(tables, device, () => clock.now, TASK, { concurrency: 1, underWayScanMs: UNDER_WAY_SCAN_MS });

    // Act
    await executor.tick();
    clock.now = T0 + 1_000;
    await executor.tick();
    device.release();
    expect(await executor.drain(30_000)).toBe(0);

    // Assess
    expect(device.count('WRITE /5/0/1')).toBe(3);
    expect(await Promise.all(jobs.map(async (job) => (await stored(tables, job)).status))).toEqual([JobStatus.Downloading, JobStatus.Downloading, JobStatus.Downloading]);
  });
});
