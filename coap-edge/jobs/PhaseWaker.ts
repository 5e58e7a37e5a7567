/**
 * Ends the campaign workflow's wait for a phase as soon as this edge has nothing of the cohort in
 * hand (issue 17: campaigns as fast as their devices). The edge sees each job it drives enter a
 * download or an install (DOWNLOADING, UPDATING, VERIFYING) and leave it; when the last one of a
 * cohort leaves, it hands back the task token the workflow left on the campaign (awaitPhase), and
 * the phase is evaluated at once instead of at the next poll. An early wake costs one evaluation
 * (another edge may still hold jobs of the cohort): the workflow waits again. A missed wake costs
 * one poll interval, the safety net.
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
 * When the token found is not (yet) the one of the wait that follows: the workflow was evaluating
 * when the last job ended, and arms its next wait within moments.
 */
const RETRY_DELAYS_MS: readonly number[] = [1_000, 3_000];

export class PhaseWaker {
  /** campaign and cohort -> keys of its jobs this edge has in hand. */
  private readonly inHand = new Map<string, Set<string>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly campaigns: CampaignStore,
    private readonly sender: TaskTokenSender,
    private readonly logger: Logger,
    private readonly retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {}

  /** A transition this edge applied (store/PublishingJobStore.ts observingJobStore). */
  onTransition(after: FirmwareJob): void {
    const key = `${after.campaignId}\u0000${after.cohort}`;
    const jobs = this.inHand.get(key);
    if (IN_HAND.has(after.status)) {
      if (jobs === undefined) this.inHand.set(key, new Set([after.jobKey]));
      else jobs.add(after.jobKey);
      return;
    }
    if (jobs?.delete(after.jobKey) !== true || jobs.size > 0) return;
    this.inHand.delete(key);
    this.wake(after.campaignId, after.cohort, 0);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private wake(campaignId: string, cohort: number, attempt: number): void {
    this.tryWake(campaignId, cohort)
      .then((woken) => {
        const delay = this.retryDelaysMs[attempt];
        if (woken || delay === undefined) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.wake(campaignId, cohort, attempt + 1);
        }, delay);
        timer.unref();
        this.timers.add(timer);
      })
      .catch((error: unknown) => this.logger.warn('could not wake the campaign workflow: it evaluates the phase at its next poll', { campaignId, cohort, error }));
  }

  private async tryWake(campaignId: string, cohort: number): Promise<boolean> {
    // A new job of the cohort in hand since: the phase is not done here after all.
    if (this.inHand.has(`${campaignId}\u0000${cohort}`)) return true;
    const waiter = (await this.campaigns.get(campaignId))?.phaseWaiter;
    if (waiter?.cohort !== cohort) return false;
    return this.sender.sendTaskSuccess(waiter.taskToken);
  }
}
