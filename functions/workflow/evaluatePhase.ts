/**
 * Workflow task EvaluateDownloads / EvaluateInstalls: fails jobs past their deadline, tallies the
 * cohort and says whether the phase is complete or the campaign must abort.
 */
import { isPhaseComplete, shouldAbort, tallyJobs, type CohortTally } from '../../core/campaign/progress.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { handlerStores } from '../shared/context.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { parseInput, PhaseInput } from './inputs.ts';

export interface PhaseEvaluation {
  readonly phase: 'download' | 'install';
  readonly complete: boolean;
  readonly abort: boolean;
  readonly tally: CohortTally;
}

const DOWNLOAD_STATES: ReadonlySet<string> = new Set([JobStatus.Ready, JobStatus.Downloading]);
const INSTALL_STATES: ReadonlySet<string> = new Set([JobStatus.Downloaded, JobStatus.Updating, JobStatus.Verifying]);

export async function handler(event: unknown): Promise<PhaseEvaluation> {
  const { campaignId, cohort, phase } = parseInput(PhaseInput, event);
  const { campaigns, jobs } = handlerStores();
  const campaign = await campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const now = Date.now();
  const current: FirmwareJob[] = [];
  for (const job of await jobs.listCohort(campaignId, cohort)) {
    const inPhase = phase === 'download' ? DOWNLOAD_STATES.has(job.status) : INSTALL_STATES.has(job.status);
    if (inPhase && job.deadline !== undefined && job.deadline < now) {
      const reason = phase === 'download' ? 'DOWNLOAD_TIMEOUT' : 'INSTALL_TIMEOUT';
      const result = await jobs.transition(job, { kind: 'failed', reason }, now);
      current.push(result.success ? result.data : ((await jobs.get(job.campaignId, job.jobKey)) ?? job));
    } else {
      current.push(job);
    }
  }
  const tally = tallyJobs(current);
  return { phase, complete: isPhaseComplete(phase, tally), abort: shouldAbort(tally, campaign.abortFailurePercent), tally };
}
