/**
 * Workflow task PlanCampaign: selects the target devices, skips those already on the target
 * version, splits the rest into cohorts and creates one PENDING job per device.
 */
import { randomBytes } from 'node:crypto';
import { planCohorts } from '../../core/campaign/cohorts.ts';
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import { jobKeyFor, type FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { selectTargets } from '../../core/campaign/targets.ts';
import { handlerStores } from '../shared/context.ts';
import { CampaignNotFoundError, ImageNotUsableError } from '../shared/errors.ts';
import { CampaignInput, parseInput } from './inputs.ts';

export interface Cursor {
  readonly cohort: number;
  readonly cohortCount: number;
  readonly pollSeconds: number;
}

export async function handler(event: unknown): Promise<Cursor> {
  const { campaignId } = parseInput(CampaignInput, event);
  const stores = handlerStores();
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const image = await stores.images.get(campaign.imageId);
  if (image === undefined || !image.verified) throw new ImageNotUsableError(`image ${campaign.imageId} is missing or not verified`);

  const existing = await stores.jobs.listCampaign(campaignId);
  if (existing.length > 0 && campaign.cohortCount !== undefined) {
    // A retried task: the jobs are planned already.
    return { cohort: 0, cohortCount: campaign.cohortCount, pollSeconds: campaign.pollSeconds };
  }
  const { eligible, alreadyCurrent } = selectTargets(await stores.registrations.list(), campaign.target, image.version);
  const plan = planCohorts(eligible.map((device) => device.endpoint), campaign.cohortPercentages.length > 0 ? campaign.cohortPercentages : [100]);
  const now = Date.now();
  const newJob = (endpoint: string, cohort: number, status: JobStatus, reason?: string): FirmwareJob => ({
    campaignId,
    jobKey: jobKeyFor(cohort, endpoint),
    endpoint,
    cohort,
    status,
    version: 0,
    attempt: 0,
    imageId: image.imageId,
    targetVersion: image.version,
    downloadToken: randomBytes(12).toString('base64url'),
    createdAt: now,
    updatedAt: now,
    history: [],
    ...(reason === undefined ? {} : { reason }),
  });
  const jobs = [
    ...[...plan.assignments].map(([endpoint, cohort]) => newJob(endpoint, cohort, JobStatus.Pending)),
    ...alreadyCurrent.map((device) => newJob(device.endpoint, 9999, JobStatus.Skipped, 'ALREADY_ON_TARGET_VERSION')),
  ];
  await stores.jobs.createJobs(jobs);
  await stores.campaigns.setStatus(campaignId, [CampaignStatus.Created, CampaignStatus.Running], CampaignStatus.Running, {
    cohortCount: plan.cohortSizes.length,
    targetVersion: image.version,
  });
  return { cohort: 0, cohortCount: plan.cohortSizes.length, pollSeconds: campaign.pollSeconds };
}
