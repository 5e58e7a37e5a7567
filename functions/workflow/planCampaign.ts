/**
 * Workflow task PlanCampaign: selects the target devices, skips those already on the target
 * version, not compatible with the image (model, version order: core/campaign/compatibility.ts)
 * or held by another campaign (DEVICE_BUSY: functions/shared/deviceClaims.ts), splits the rest
 * into cohorts and creates one PENDING job per device. Idempotent: a retried task, or an
 * execution that continues a previous one, finds the plan made (and its claims its own) and
 * resumes where it was.
 */
import { randomBytes } from 'node:crypto';
import { planWithCanaries } from '../../core/campaign/canary.ts';
import { jobKeyFor, type FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { selectTargets } from '../../core/campaign/targets.ts';
import { triggerCampaign } from '../shared/campaignLifecycle.ts';
import { guardCompatibility } from '../../core/campaign/compatibility.ts';
import { claimDevices, DEVICE_BUSY } from '../shared/deviceClaims.ts';
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError, ImageNotUsableError } from '../shared/errors.ts';
import { parseInput, PlanInput, type PhaseState } from './inputs.ts';
import { packageTokenFields } from '../../core/jobs/packageToken.ts';

export interface Cursor {
  readonly cohort: number;
  readonly cohortCount: number;
  readonly pollSeconds: number;
}

export interface PlannedCampaign {
  readonly campaignId: string;
  readonly cursor: Cursor;
  readonly resumePhase: 'none' | 'download' | 'install';
  readonly phase?: PhaseState;
}

/** Cohort index for devices skipped before any cohort starts. */
export const SKIPPED_COHORT = 9999;

export async function planCampaign(deps: WorkflowDependencies, event: unknown): Promise<PlannedCampaign> {
  const { campaignId, resume } = parseInput(PlanInput, event);
  const { stores } = deps;
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  if (resume !== undefined && campaign.cohortCount !== undefined) {
    const cursor = { cohort: resume.cohort, cohortCount: campaign.cohortCount, pollSeconds: campaign.pollSeconds };
    const phase: PhaseState = { phase: resume.phase, complete: false, abort: false, cancel: false, continueAsNew: false, pollSeconds: campaign.pollSeconds, polls: 0, startedAt: resume.startedAt };
    return { campaignId, cursor, resumePhase: resume.phase, phase };
  }
  const image = await stores.images.get(campaign.imageId);
  if (image === undefined || !image.verified) throw new ImageNotUsableError(`image ${campaign.imageId} is missing or not verified`);

  const existing = await stores.jobs.listCampaign(campaignId);
  if (existing.length > 0 && campaign.cohortCount !== undefined) {
    return { campaignId, cursor: { cohort: 0, cohortCount: campaign.cohortCount, pollSeconds: campaign.pollSeconds }, resumePhase: 'none' };
  }
  const selection = selectTargets(await stores.registrations.list(), campaign.target, image.version, image.compatibleFrom);
  const guarded = guardCompatibility(selection.eligible, image, { allowDowngrade: campaign.allowDowngrade === true });
  const now = Date.now();
  const claims = await claimDevices(stores, campaignId, guarded.eligible.map((device) => device.endpoint), now);
  const specs = campaign.cohorts ?? campaign.cohortPercentages.map((percent) => ({ percent }));
  const plan = planWithCanaries([...claims.claimed], specs.length > 0 ? specs : [{ percent: 100 }], campaign.canaryEndpoints);
  const devices = new Map(selection.eligible.concat(selection.alreadyCurrent, selection.incompatible).map((device) => [device.endpoint, device]));
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
    ...deviceFacts(devices.get(endpoint)),
    ...packageTokenFields({ campaignId, jobKey: jobKeyFor(cohort, endpoint) }, randomBytes(12).toString('base64url')),
    createdAt: now,
    updatedAt: now,
    history: [],
    ...(reason === undefined ? {} : { reason }),
  });
  await stores.jobs.createJobs([
    ...[...plan.assignments].map(([endpoint, cohort]) => newJob(endpoint, cohort, JobStatus.Pending)),
    ...selection.alreadyCurrent.map((device) => newJob(device.endpoint, SKIPPED_COHORT, JobStatus.Skipped, 'ALREADY_ON_TARGET_VERSION')),
    ...selection.incompatible.map((device) => newJob(device.endpoint, SKIPPED_COHORT, JobStatus.Skipped, 'INCOMPATIBLE_VERSION')),
    ...guarded.skipped.map(({ device, reason }) => newJob(device.endpoint, SKIPPED_COHORT, JobStatus.Skipped, reason)),
    ...claims.busy.map((endpoint) => newJob(endpoint, SKIPPED_COHORT, JobStatus.Skipped, DEVICE_BUSY)),
  ]);
  // CREATED -> RUNNING; a campaign paused or cancelled before planning keeps that status.
  await triggerCampaign(stores.campaigns, campaignId, { kind: 'planned', cohortCount: plan.cohortSizes.length, targetVersion: image.version }, () => now);
  return { campaignId, cursor: { cohort: 0, cohortCount: plan.cohortSizes.length, pollSeconds: campaign.pollSeconds }, resumePhase: 'none' };
}

/** What a rollback needs to know later: the version the device ran before and its model. */
function deviceFacts(device: DeviceRegistration | undefined): Pick<FirmwareJob, 'previousVersion' | 'model'> {
  return { ...(device?.firmwareVersion === undefined ? {} : { previousVersion: device.firmwareVersion }), ...(device?.model === undefined ? {} : { model: device.model }) };
}

export const handler = workflowLambda('planCampaign', planCampaign);
