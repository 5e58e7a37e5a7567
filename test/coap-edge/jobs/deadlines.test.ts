/**
 * Deadlines kept by the executor itself (JobExecutor#tick, JobSteps#expire) on a real job table on
 * dynalite with an injected clock: a job past its deadline fails at the first tick after it, with
 * no workflow running, whatever its device does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobExecutor } from '../../../coap-edge/jobs/JobExecutor.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { ScriptedDevice } from './ScriptedDevice.ts';
import { jobExecutor, readyJob, registerDevice, startJobTables, stored, T0, type JobTables } from './jobStepsHarness.ts';

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
});
