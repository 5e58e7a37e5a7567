/**
 * Workflow task JoinLateDevices, after the last cohort: a dynamic campaign (core/campaign/dynamic.ts)
 * takes in the devices that registered or came to match its target since it was planned, as
 * PENDING jobs of its last cohort, through the same target selection, compatibility guards and
 * claims as PlanCampaign; the workflow then runs that cohort's phases again for them (rate and
 * windows as for any release). Devices a guard skips or another campaign holds get no job here,
 * so they can join once they match or are free. Any other campaign ends at once (`ended`).
 */
import { randomBytes } from 'node:crypto';
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import { guardCompatibility } from '../../core/campaign/compatibility.ts';
import { takesLateDevices } from '../../core/campaign/dynamic.ts';
import { isCancelled } from '../../core/campaign/lifecycle.ts';
import { selectTargets } from '../../core/campaign/targets.ts';
import { jobKeyFor, type FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { claimDevices } from '../shared/deviceClaims.ts';
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError, ImageNotUsableError } from '../shared/errors.ts';
import { CampaignInput, parseInput } from './inputs.ts';
import { packageTokenFields } from '../../core/jobs/packageToken.ts';

export interface LateDevicesJoined {
  /** Devices taken in by this look. */
  readonly joined: number;
  /** The cohort they joined (the last one). */
  readonly cohort: number;
  /** The campaign takes no more devices: finalize. */
  readonly ended: boolean;
  readonly cancel: boolean;
}

export async function joinLateDevices(deps: WorkflowDependencies, event: unknown): Promise<LateDevicesJoined> {
  const { campaignId } = parseInput(CampaignInput, event);
  const { stores } = deps;
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const cohort = Math.max(0, (campaign.cohortCount ?? 1) - 1);
  const now = Date.now();
  if (isCancelled(campaign.status)) return { joined: 0, cohort, ended: false, cancel: true };
  if (!takesLateDevices(campaign, now)) return { joined: 0, cohort, ended: true, cancel: false };
  // A paused campaign takes nobody in; it looks again after the next wait.
  if (campaign.status !== CampaignStatus.Running) return { joined: 0, cohort, ended: false, cancel: false };
  const image = await stores.images.get(campaign.imageId);
  if (image === undefined || !image.verified) throw new ImageNotUsableError(`image ${campaign.imageId} is missing or not verified`);

  const known = new Set((await stores.jobs.listCampaign(campaignId)).map((job) => job.endpoint));
  const newcomers = (await stores.registrations.list()).filter((device) => !known.has(device.endpoint));
  const selection = selectTargets(newcomers, campaign.target, image.version, image.compatibleFrom);
  const guarded = guardCompatibility(selection.eligible, image, { allowDowngrade: campaign.allowDowngrade === true });
  const claims = await claimDevices(stores, campaignId, guarded.eligible.map((device) => device.endpoint), now);
  const devices = new Map(guarded.eligible.map((device) => [device.endpoint, device]));
  const jobs = [...claims.claimed].map((endpoint): FirmwareJob => {
    const device = devices.get(endpoint);
    return {
      campaignId,
      jobKey: jobKeyFor(cohort, endpoint),
      endpoint,
      cohort,
      status: JobStatus.Pending,
      version: 0,
      attempt: 0,
      imageId: image.imageId,
      targetVersion: image.version,
      ...(device?.firmwareVersion === undefined ? {} : { previousVersion: device.firmwareVersion }),
      ...(device?.model === undefined ? {} : { model: device.model }),
      ...packageTokenFields({ campaignId, jobKey: jobKeyFor(cohort, endpoint) }, randomBytes(12).toString('base64url')),
      createdAt: now,
      updatedAt: now,
      history: [],
    };
  });
  if (jobs.length > 0) await stores.jobs.createJobs(jobs);
  return { joined: jobs.length, cohort, ended: false, cancel: false };
}

export const handler = workflowLambda('joinLateDevices', joinLateDevices);
