/**
 * Workflow task FinalizeCampaign / AbortCampaign / MarkCampaignFailed: cancels jobs that never
 * started, writes the summary and the campaign's final status, then gives back the devices it
 * claimed and its reservation of the image.
 */
import { CampaignStatus, FINISHED_CAMPAIGN_STATUSES, type CampaignSummary } from '../../core/campaign/Campaign.ts';
import type { CampaignTrigger } from '../../core/campaign/lifecycle.ts';
import { tallyJobs } from '../../core/campaign/progress.ts';
import { mapWithLimit, PARALLEL_WRITES } from '../../core/concurrency.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { triggerCampaign } from '../shared/campaignLifecycle.ts';
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { FotaMetric } from '../../core/metrics.ts';
import { FinalizeInput, parseInput } from './inputs.ts';

/** Jobs not yet updating are cancelled; a device that is updating is never interrupted. */
const CANCELLABLE: ReadonlySet<string> = new Set([JobStatus.Pending, JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded]);

/** The `{ Error, Cause }` a Catch puts in `$.error`, as one line for the operator (bounded). */
export function describeWorkflowError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'a workflow task failed';
  const { Error: name, Cause: cause } = error as { Error?: unknown; Cause?: unknown };
  let detail = typeof cause === 'string' ? cause : '';
  try {
    // A Lambda error's Cause is itself JSON: { errorType, errorMessage, trace }.
    const parsed = JSON.parse(detail) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') detail = `${typeof parsed.errorType === 'string' ? `${parsed.errorType}: ` : ''}${parsed.errorMessage}`;
  } catch {
    // Not JSON: keep it as it is.
  }
  return `${typeof name === 'string' ? name : 'Error'}${detail === '' ? '' : `: ${detail}`}`.slice(0, 1000);
}

const OUTCOME_EVENT = { completed: 'completed', aborted: 'aborted', cancelled: 'cancelSettled' } as const;

export async function finalizeCampaign(deps: WorkflowDependencies, event: unknown): Promise<CampaignSummary & { status: string }> {
  const { campaignId, outcome, error } = parseInput(FinalizeInput, event);
  const { stores } = deps;
  const { campaigns, jobs } = stores;
  const now = Date.now();
  const all = await jobs.listCampaign(campaignId);
  const final = await mapWithLimit(all, PARALLEL_WRITES, async (job) => {
    // A failed attempt waiting for the retry policy: the campaign is over, so its failure is final.
    if (job.status === JobStatus.Failing) {
      const result = await jobs.transition(job, { kind: 'gaveUp' }, now);
      return result.success ? result.data : job;
    }
    if (!CANCELLABLE.has(job.status)) return job;
    const result = await jobs.transition(job, { kind: 'cancelled', reason: `CAMPAIGN_${outcome.toUpperCase()}` }, now);
    return result.success ? result.data : job;
  });
  const tally = tallyJobs(final);
  const summary: CampaignSummary = {
    devices: tally.total,
    succeeded: tally.succeeded,
    failed: tally.failed,
    skipped: tally.byStatus[JobStatus.Skipped] ?? 0,
    cancelled: tally.byStatus[JobStatus.Cancelled] ?? 0,
    failureReasons: tally.failureReasons,
  };
  const trigger: CampaignTrigger = outcome === 'failed'
    ? { kind: 'failed', summary, failureCause: describeWorkflowError(error) }
    : { kind: OUTCOME_EVENT[outcome], summary };
  // Completed or aborted while CANCELLING ends CANCELLED: cancel is final. A retried task finds the
  // campaign finished and answers the status it has.
  const result = await triggerCampaign(campaigns, campaignId, trigger, () => now);
  if (result.kind === 'notFound') throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const status = result.campaign.status;
  // Counted once: by the call whose write made the campaign ABORTED, not by a retry that finds it so.
  if (result.kind === 'applied' && status === CampaignStatus.Aborted && result.previous !== CampaignStatus.Aborted) {
    deps.metrics.count({ [FotaMetric.CampaignsAborted]: 1 });
  }
  // After the final status the image goes back; the devices' claims stay, and a later campaign
  // takes over each one whose job here is over (functions/shared/deviceClaims.ts).
  if (FINISHED_CAMPAIGN_STATUSES.has(status)) await stores.imageReservations.releaseCampaign(result.campaign.imageId, campaignId);
  return { ...summary, status };
}

export const handler = workflowLambda('finalizeCampaign', finalizeCampaign);
