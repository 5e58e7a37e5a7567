/**
 * Ends the campaign workflow's wait for a phase as soon as this edge has nothing of the cohort in
 * hand (issue 17: campaigns as fast as their devices). The edge sees each job it drives enter a
 * download or an install (DOWNLOADING, UPDATING, VERIFYING) and leave it; when the last one of a
 * cohort leaves, it hands back the task token the workflow left on the campaign (awaitPhase), and
 * the phase is evaluated at once instead of at the next poll. An early wake costs one evaluation
 * (another edge may still hold jobs of the cohort): the workflow waits again. A wake that finds
 * no wait armed yet (the workflow is in a tick) looks again until one is (WakeRetry). A missed
 * wake costs one poll interval, the safety net.
 */
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { CampaignStore } from '../../core/ports/CampaignStore.ts';
import type { Logger } from '../logger.ts';

/** Ends a wait on a task token (Step Functions' SendTaskSuccess). */
export interface TaskTokenSender {
  /** False when nothing waits on the token any more (it timed out, or was ended before). */
  sendTaskSuccess(taskToken: string): Promise<boolean>;
}

/** Statuses in which a job is in the edge's hands: the device is downloading or installing. */
const IN_HAND: ReadonlySet<string> = new Set([JobStatus.Downloading, JobStatus.Updating, JobStatus.Verifying]);

/**
 * How a wake that found no wait to end looks again. The workflow was in a tick when the last job
 * ended (a tick that releases thousands of devices takes many seconds, and the jobs it released
 * first end meanwhile); it arms its next wait when the tick ends. The wake looks again every
 * `intervalMs` until then, for up to `giveUpAfterMs`: beyond the longest tick (its task's 60 s
 * Lambda timeout), after which the poll has evaluated the phase anyway.
 */
export interface WakeRetry {
  readonly intervalMs: number;
  readonly giveUpAfterMs: number;
}

const WAKE_RETRY: WakeRetry = { intervalMs: 1_000, giveUpAfterMs: 90_000 };

/** A wake under way for one cohort: the tokens it already handed back (or found ended). */
interface PendingWake {
  readonly campaignId: string;
  readonly cohort: number;
  readonly startedAt: number;
  readonly tried: Set<string>;
}

export class PhaseWaker {
  /** campaign and cohort -> keys of its jobs this edge has in hand. */
  private readonly inHand = new Map<string, Set<string>>();
  /** campaign and cohort -> its wake under way (one at a time). */
  private readonly pending = new Map<string, PendingWake>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly campaigns: CampaignStore,
    private readonly sender: TaskTokenSender,
    private readonly logger: Logger,
    private readonly retry: WakeRetry = WAKE_RETRY,
  ) {}

  /** A transition this edge applied (store/PublishingJobStore.ts observingJobStore). */
  onTransition(after: FirmwareJob): void {
    const key = cohortKey(after.campaignId, after.cohort);
    const jobs = this.inHand.get(key);
    if (IN_HAND.has(after.status)) {
      if (jobs === undefined) this.inHand.set(key, new Set([after.jobKey]));
      else jobs.add(after.jobKey);
      return;
    }
    if (jobs?.delete(after.jobKey) !== true || jobs.size > 0) return;
    this.inHand.delete(key);
    if (this.pending.has(key)) return;
    const wake: PendingWake = { campaignId: after.campaignId, cohort: after.cohort, startedAt: Date.now(), tried: new Set() };
    this.pending.set(key, wake);
    this.attempt(key, wake);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }

  private attempt(key: string, wake: PendingWake): void {
    this.tryWake(key, wake)
      .then((done) => {
        if (done || Date.now() - wake.startedAt >= this.retry.giveUpAfterMs) {
          this.pending.delete(key);
          return;
        }
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.pending.get(key) === wake) this.attempt(key, wake);
        }, this.retry.intervalMs);
        timer.unref();
        this.timers.add(timer);
      })
      .catch((error: unknown) => {
        this.pending.delete(key);
        this.logger.warn('could not wake the campaign workflow: it evaluates the phase at its next poll', { campaignId: wake.campaignId, cohort: wake.cohort, error });
      });
  }

  /** True when the wake is over: the wait ended, a job of the cohort is in hand again, or the campaign ended. */
  private async tryWake(key: string, wake: PendingWake): Promise<boolean> {
    // A new job of the cohort in hand since: the phase is not done here after all.
    if (this.inHand.has(key)) return true;
    const campaign = await this.campaigns.get(wake.campaignId);
    if (campaign === undefined || campaign.finishedAt !== undefined) return true;
    const waiter = campaign.phaseWaiter;
    // No wait of this cohort, or only one that is over (ended by a wake, or timed out into the poll).
    if (waiter?.cohort !== wake.cohort || wake.tried.has(waiter.taskToken)) return false;
    wake.tried.add(waiter.taskToken);
    return this.sender.sendTaskSuccess(waiter.taskToken);
  }
}

function cohortKey(campaignId: string, cohort: number): string {
  return `${campaignId}\u0000${cohort}`;
}
