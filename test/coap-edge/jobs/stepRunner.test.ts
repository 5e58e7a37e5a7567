/**
 * The step runner (coap-edge/jobs/StepRunner.ts): one step per job attempt at a time, a bound on
 * steps at once, a drain that waits for the steps in flight, and background rejections counted.
 * Steps here are promises the test settles itself: no device and no table are involved.
 */
import { describe, expect, it } from 'vitest';
import type { FirmwareJob } from '../../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { StepRunner, type ExecutorStats } from '../../../coap-edge/jobs/StepRunner.ts';
import { createLogger } from '../../../coap-edge/logger.ts';

const job = (endpoint: string, attempt = 0): FirmwareJob => ({
  campaignId: 'c',
  jobKey: `0000#${endpoint}`,
  endpoint,
  cohort: 0,
  status: JobStatus.Ready,
  version: 1,
  attempt,
  imageId: 'i',
  targetVersion: '2',
  downloadToken: 't',
  createdAt: 0,
  updatedAt: 0,
  history: [],
});

/** A step that runs until the test ends it. */
function gate(): { step: () => Promise<void>; started: Promise<void>; isStarted: () => boolean; open: () => void } {
  let open: () => void = () => undefined;
  let markStarted: () => void = () => undefined;
  let isStarted = false;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const done = new Promise<void>((resolve) => (open = resolve));
  return {
    step: () => {
      isStarted = true;
      markStarted();
      return done;
    },
    started,
    isStarted: () => isStarted,
    open: () => open(),
  };
}

const runner = (concurrency = 4): { runner: StepRunner; stats: ExecutorStats } => {
  const stats: ExecutorStats = { takenOver: 0, unexpectedRejections: 0, deadlinesEnforced: 0 };
  return { runner: new StepRunner(concurrency, createLogger('step-runner-test', 'silent'), stats), stats };
};

describe('the step runner', () => {
  it('runs no second step of a job attempt while one runs, but a step of its next attempt', async () => {
    const { runner: steps } = runner();
    const first = gate();
    const running = steps.run(job('a'), first.step);
    await first.started;

    expect(await steps.run(job('a'), () => Promise.resolve())).toBe(false);
    expect(await steps.run(job('a', 1), () => Promise.resolve())).toBe(true);
    first.open();
    expect(await running).toBe(true);
    expect(await steps.run(job('a'), () => Promise.resolve())).toBe(true);
  });

  it('runs at most `concurrency` steps at once; the next starts when one ends', async () => {
    const { runner: steps } = runner(1);
    const first = gate();
    const second = gate();
    const running = [steps.run(job('a'), first.step), steps.run(job('b'), second.step)];
    await first.started;

    expect(second.isStarted()).toBe(false);
    first.open();
    await second.started;
    second.open();
    expect(await Promise.all(running)).toEqual([true, true]);
  });

  it('keeps steps off a held job until the hold is released', async () => {
    const { runner: steps } = runner();
    const release = steps.hold(job('a'));

    expect(await steps.run(job('a'), () => Promise.resolve())).toBe(false);
    release();
    expect(await steps.run(job('a'), () => Promise.resolve())).toBe(true);
  });

  it('drains: takes no new step, waits for the steps in flight, and tells how many outlived the grace', async () => {
    const { runner: steps } = runner();
    const finishing = gate();
    const stuck = gate();
    const runs = [steps.run(job('a'), finishing.step), steps.run(job('b'), stuck.step)];
    await Promise.all([finishing.started, stuck.started]);
    finishing.open();

    expect(await steps.drain(50)).toBe(1);
    expect(await steps.run(job('c'), () => Promise.resolve())).toBe(false);
    stuck.open();
    expect(await Promise.all(runs)).toEqual([true, true]);
  });

  it('counts a rejected background promise instead of leaving it unhandled, and a failed step is logged, not thrown', async () => {
    const { runner: steps, stats } = runner();
    const rejected = Promise.reject(new Error('store outage'));

    steps.settle(rejected, 'test work');
    await rejected.catch(() => undefined);
    await Promise.resolve();

    expect(stats.unexpectedRejections).toBe(1);
    expect(await steps.run(job('a'), () => Promise.reject(new Error('device gone')))).toBe(true);
  });
});
