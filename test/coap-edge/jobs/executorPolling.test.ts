/**
 * What a tick of the executor reads (JobExecutor#listOwned), on a real job table on dynalite with
 * an injected clock: READY jobs are read every tick while the executor has room for more steps,
 * and only every few ticks (for their deadlines) while a backlog of steps waits for a slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirmwareDevices } from '../../../coap-edge/jobs/deviceFirmware.ts';
import type { JobStore } from '../../../core/ports/JobStore.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { ScriptedDevice } from './ScriptedDevice.ts';
import { jobExecutor, readyJob, registerDevice, startJobTables, stored, T0, type JobTables } from './jobStepsHarness.ts';

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

  it('reads READY jobs again only every few ticks while a backlog of steps waits for a slot', async () => {
    // Prepare: one slot, three jobs to start; the first step holds the slot on the device's read.
    const jobs = await Promise.all(
      ['poll-1', 'poll-2', 'poll-3'].map(async (endpoint) => {
        await registerDevice(tables, endpoint, T0, { ownerTask: TASK });
        return readyJob(tables, endpoint, T0, { ownerTask: TASK });
      }),
    );
    const readyReads: number[] = [];
    const counting: JobStore = Object.assign(Object.create(tables.jobs) as JobStore, {
      listForOwner: (owner: string, status: JobStatus, options?: Parameters<JobStore['listForOwner']>[2]) => {
        if (status === JobStatus.Ready) readyReads.push(clock.now);
        return tables.jobs.listForOwner(owner, status, options);
      },
    });
    const clock = { now: T0 };
    const device = new HeldDevice();
    const executor = jobExecutor({ ...tables, jobs: counting as JobTables['jobs'] }, device, () => clock.now, TASK, { concurrency: 1, underWayScanMs: UNDER_WAY_SCAN_MS });

    // Act
    await executor.tick();
    clock.now = T0 + 1_000;
    await executor.tick();
    clock.now = T0 + UNDER_WAY_SCAN_MS;
    await executor.tick();
    device.release();
    expect(await executor.drain(30_000)).toBe(0);

    // Assess: the first tick read them and queued two steps behind the first; the second, with
    // that backlog, did not read them; the third, a scan interval later, did (deadlines).
    expect(readyReads).toEqual([T0, T0 + UNDER_WAY_SCAN_MS]);
    expect(await Promise.all(jobs.map(async (job) => (await stored(tables, job)).status))).toEqual([JobStatus.Downloading, JobStatus.Downloading, JobStatus.Downloading]);
  });

  it('reads the DOWNLOADED jobs whose install or cancel was requested a page at a time, not a whole cohort\'s', async () => {
    // Prepare
    const downloadedReads: Parameters<JobStore['listForOwner']>[2][] = [];
    const counting: JobStore = Object.assign(Object.create(tables.jobs) as JobStore, {
      listForOwner: (owner: string, status: JobStatus, options?: Parameters<JobStore['listForOwner']>[2]) => {
        if (status === JobStatus.Downloaded) downloadedReads.push(options);
        return tables.jobs.listForOwner(owner, status, options);
      },
    });
    const executor = jobExecutor({ ...tables, jobs: counting as JobTables['jobs'] }, new ScriptedDevice(), () => T0, 'task-paging');

    // Act
    await executor.tick();

    // Assess
    expect(downloadedReads).toEqual([{ requested: true, limit: expect.any(Number) as number }]);
    expect(downloadedReads[0]?.limit).toBeLessThanOrEqual(1000);
  });
});
