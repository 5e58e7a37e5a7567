/**
 * Workflow task StartDownloadPhase / StartInstallPhase: makes a cohort's jobs ready for the edge.
 * Download: PENDING -> READY, addressed to the edge task that owns the device. Install: marks
 * DOWNLOADED jobs as requested to install, with a fresh deadline.
 */
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { handlerStores } from '../shared/context.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { parseInput, PhaseInput } from './inputs.ts';

export interface PhaseStarted {
  readonly phase: 'download' | 'install';
  readonly started: number;
  readonly complete: boolean;
  readonly abort: boolean;
}

export async function handler(event: unknown): Promise<PhaseStarted> {
  const { campaignId, cohort, phase } = parseInput(PhaseInput, event);
  const { campaigns, jobs, registrations } = handlerStores();
  const campaign = await campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const now = Date.now();
  let started = 0;
  for (const job of await jobs.listCohort(campaignId, cohort)) {
    if (phase === 'download' && job.status === JobStatus.Pending) {
      const device = await registrations.get(job.endpoint);
      const deadline = now + campaign.downloadTimeoutSeconds * 1000;
      const result = await jobs.transition(job, { kind: 'scheduled', deadline }, now, device === undefined ? {} : { ownerTask: device.ownerTask });
      if (result.success) started++;
    } else if (phase === 'install' && job.status === JobStatus.Downloaded && job.installRequested !== true) {
      const applied = await jobs.annotate(job, { installRequested: true, deadline: now + campaign.installTimeoutSeconds * 1000 });
      if (applied) started++;
    }
  }
  return { phase, started, complete: false, abort: false };
}
