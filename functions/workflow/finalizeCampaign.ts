/**
 * Workflow task FinalizeCampaign / AbortCampaign / MarkCampaignFailed: cancels jobs that never
 * started, writes the summary and the campaign's final status.
 */
import { CampaignStatus, type CampaignSummary } from '../../core/campaign/Campaign.ts';
import { tallyJobs } from '../../core/campaign/progress.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { handlerStores } from '../shared/context.ts';
import { FinalizeInput, parseInput } from './inputs.ts';

/** Jobs not yet updating are cancelled; a device that is updating is never interrupted. */
const CANCELLABLE: ReadonlySet<string> = new Set([JobStatus.Pending, JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded]);

const FINAL_STATUS = { completed: CampaignStatus.Succeeded, aborted: CampaignStatus.Aborted, failed: CampaignStatus.Failed, cancelled: CampaignStatus.Cancelled } as const;

export async function handler(event: unknown): Promise<CampaignSummary & { status: string }> {
  const { campaignId, outcome } = parseInput(FinalizeInput, event);
  const { campaigns, jobs } = handlerStores();
  const now = Date.now();
  const all = await jobs.listCampaign(campaignId);
  const final = [];
  for (const job of all) {
    if (CANCELLABLE.has(job.status)) {
      const result = await jobs.transition(job, { kind: 'cancelled', reason: `CAMPAIGN_${outcome.toUpperCase()}` }, now);
      final.push(result.success ? result.data : job);
    } else {
      final.push(job);
    }
  }
  const tally = tallyJobs(final);
  const summary: CampaignSummary = {
    devices: tally.total,
    succeeded: tally.succeeded,
    failed: tally.failed,
    skipped: tally.byStatus[JobStatus.Skipped] ?? 0,
    cancelled: tally.byStatus[JobStatus.Cancelled] ?? 0,
    failureReasons: tally.failureReasons,
  };
  const status = FINAL_STATUS[outcome];
  await campaigns.setStatus(
    campaignId,
    [CampaignStatus.Created, CampaignStatus.Running, CampaignStatus.Paused, CampaignStatus.WaitingApproval, CampaignStatus.Cancelling],
    status,
    { summary, finishedAt: now },
  );
  return { ...summary, status };
}
