/**
 * Runs the steps of jobs: at most one step per job attempt at a time (the busy set), at most
 * `concurrency` steps at once (a semaphore), every step tracked so a graceful shutdown can wait for
 * the ones in flight (drain), and every promise nobody awaits settled with its rejection logged and
 * counted, never unhandled (which ends a Node 20 process).
 */
import { Semaphore } from '../../core/concurrency.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import type { Logger } from '../logger.ts';
import { keyOf } from './ActiveJobs.ts';

/** What the executor counts, for the edge's health. */
export interface ExecutorStats {
  /** Jobs this task took over from another because their device downloads through it. */
  takenOver: number;
  /** Promises nobody awaited that rejected (a bug or a store outage): logged and counted. */
  unexpectedRejections: number;
  /** Jobs this task failed at their deadline. */
  deadlinesEnforced: number;
}

export class StepRunner {
  private readonly busy = new Set<string>();
  private readonly semaphore: Semaphore;
  /** Steps running now (what a drain waits for). */
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    concurrency: number,
    private readonly logger: Logger,
    private readonly stats: ExecutorStats,
  ) {
    this.semaphore = new Semaphore(concurrency);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Steps waiting for one of the `concurrency` slots: work already in hand, not yet started. */
  get backlog(): number {
    return this.semaphore.waiting;
  }

  resume(): void {
    this.stopped = false;
  }

  /** Takes no new step from now on. */
  stop(): void {
    this.stopped = true;
  }

  /** Runs one step of a job unless another step of it is running; false when it did not run. */
  async run(job: FirmwareJob, step: () => Promise<void>): Promise<boolean> {
    // Per attempt: a step stuck on an unreachable device (up to the request timeout) must not
    // hold back the retry the campaign scheduled; the stale step's writes fail on the version.
    const key = attemptKey(job);
    if (this.busy.has(key) || this.stopped) return false;
    this.busy.add(key);
    const running = this.semaphore.use(step);
    this.inFlight.add(running);
    try {
      await running;
    } catch (error) {
      this.logger.warn('job step failed', { campaignId: job.campaignId, endpoint: job.endpoint, status: job.status, error });
    } finally {
      this.busy.delete(key);
      this.inFlight.delete(running);
    }
    return true;
  }

  /**
   * Keeps the executor's own steps off a job (its notifications, its tick) while the caller acts
   * on it outside `run`; the returned function lets them in again. Holds nothing when a step of
   * the job is running already (that step's writes then fail on the version).
   */
  hold(job: FirmwareJob): () => void {
    const key = attemptKey(job);
    if (this.busy.has(key)) return () => undefined;
    this.busy.add(key);
    return () => this.busy.delete(key);
  }

  /** Work outside `run` that a drain must still wait for (a deadline's write, a cancel). */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Runs a promise nobody awaits. Its rejection is unexpected (steps catch what they expect):
   * logged once, here, and counted, so a store outage or a bug shows in the edge's health.
   */
  settle(promise: Promise<unknown>, what: string): void {
    promise.catch((error: unknown) => {
      this.stats.unexpectedRejections++;
      this.logger.error('unexpected failure in background work', { what, error });
    });
  }

  /** Stops taking steps and waits up to `graceMs` for those in flight; how many still run then. */
  async drain(graceMs: number): Promise<number> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.inFlight]), graceOver]);
    clearTimeout(timer);
    return this.inFlight.size;
  }
}

function attemptKey(job: FirmwareJob): string {
  return `${keyOf(job)}#${job.attempt}`;
}
