/**
 * Workflow tasks RequestCancellation / EvaluateCancellation. Jobs not yet updating are cancelled:
 * those the edge has not started at once; those downloading are marked and the edge resets the
 * device (/5/0/10 Cancel, or an empty Package URI). A device that is updating is never
 * interrupted: its job runs to its verdict. Settled when no job is left in flight.
 */
import { isCancelled } from '../../core/campaign/lifecycle.ts';
import { mapWithLimit, PARALLEL_WRITES } from '../../core/concurrency.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { handlerStores } from '../shared/context.ts';
import { CampaignNotCancellingError, CampaignNotFoundError } from '../shared/errors.ts';
import { CancelInput, parseInput } from './inputs.ts';

/** How long the edge gets to reset a downloading device before the job is cancelled in the store alone. */
const DEVICE_CANCEL_GRACE_MS = 120_000;
const IN_FLIGHT: ReadonlySet<string> = new Set([JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded, JobStatus.Updating, JobStatus.Verifying]);

export async function handler(event: unknown): Promise<{ settled: boolean; inFlight: number }> {
  const { campaignId, step } = parseInput(CancelInput, event);
  const { campaigns, jobs } = handlerStores();
  const campaign = await campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const now = Date.now();
  // The status is CANCELLING already: the operator's cancel set it when it was accepted.
  if (step === 'request' && !isCancelled(campaign.status)) {
    throw new CampaignNotCancellingError(`campaign ${campaignId} is ${campaign.status}, not CANCELLING: nothing asked for a cancellation`);
  }
  let inFlight = 0;
  await mapWithLimit(await jobs.listCampaign(campaignId), PARALLEL_WRITES, async (job) => {
    if (job.status === JobStatus.Failing) {
      // A failed attempt is not retried in a cancelled campaign: its failure is the verdict.
      await jobs.transition(job, { kind: 'gaveUp' }, now);
    } else if (job.status === JobStatus.Pending || job.status === JobStatus.Ready) {
      await jobs.transition(job, { kind: 'cancelled', reason: 'CAMPAIGN_CANCELLED' }, now);
    } else if (job.status === JobStatus.Downloading || job.status === JobStatus.Downloaded) {
      const requestedAt = job.cancelRequestedAt;
      if (requestedAt === undefined) {
        await jobs.requestCancel(job, now);
        inFlight++;
      } else if (now - requestedAt > DEVICE_CANCEL_GRACE_MS) {
        await jobs.transition(job, { kind: 'cancelled', reason: 'CAMPAIGN_CANCELLED_DEVICE_NOT_RESET' }, now);
      } else {
        inFlight++;
      }
    } else if (IN_FLIGHT.has(job.status)) {
      if (job.deadline !== undefined && job.deadline < now) {
        const failing = await jobs.transition(job, { kind: 'failed', reason: 'INSTALL_TIMEOUT' }, now);
        if (failing.success) await jobs.transition(failing.data, { kind: 'gaveUp' }, now);
      } else {
        inFlight++;
      }
    }
  });
  return { settled: inFlight === 0, inFlight };
}
