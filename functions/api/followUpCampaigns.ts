/**
 * Relaunch and rollback (issue 16, item 4): new campaigns made from a finished one, through the
 * same create path as any other (launchCampaign.ts: validation, claims, guards, image reservation).
 * A relaunch takes the same definition over the devices that failed or were not reached; a
 * rollback takes each device the campaign updated back to the image of the version it ran before
 * (one campaign per image, `allowDowngrade` set and audited), and shows its plan first.
 */
import { FINISHED_CAMPAIGN_STATUSES, type Campaign, type CampaignDefinition, type CampaignLineage } from '../../core/campaign/Campaign.ts';
import { planRollback, relaunchEndpoints, type RollbackPlan } from '../../core/campaign/followUp.ts';
import { ImageStatus } from '../../core/images/FirmwareImage.ts';
import type { Stores } from '../../store/Stores.ts';
import { ApiError } from './http.ts';
import { CampaignDefinitionSchema, launchCampaign, type ExecutionStarter } from './launchCampaign.ts';

/** Fields of a campaign's own that a follow-up does not carry over: it starts now, over the devices it names. */
const NOT_CARRIED_OVER: ReadonlySet<string> = new Set(['startAt', 'canaryEndpoints']);

/** The definition a campaign was created with (without what the stack recorded on it). */
function definitionOf(campaign: Campaign): Record<string, unknown> {
  const keys = Object.keys(CampaignDefinitionSchema.shape).filter((key) => !NOT_CARRIED_OVER.has(key));
  return Object.fromEntries(keys.filter((key) => campaign[key as keyof CampaignDefinition] !== undefined).map((key) => [key, campaign[key as keyof CampaignDefinition]]));
}

/** A finished campaign: a follow-up of one still running would find its devices held (DEVICE_BUSY). */
async function finishedCampaign(stores: Stores, campaignId: string): Promise<Campaign> {
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new ApiError(404, 'NOT_FOUND', `campaign ${campaignId} does not exist`);
  if (!FINISHED_CAMPAIGN_STATUSES.has(campaign.status)) throw new ApiError(409, 'CAMPAIGN_NOT_FINISHED', `campaign ${campaignId} is ${campaign.status}: wait until it has ended (or cancel it) first`);
  return campaign;
}

export interface FollowUpRequest {
  readonly actor: string;
}

export async function relaunchCampaign(stores: Stores, starter: ExecutionStarter, campaignId: string, request: FollowUpRequest & { readonly failedOnly: boolean }): Promise<Campaign & { executionId: string }> {
  const campaign = await finishedCampaign(stores, campaignId);
  const endpoints = relaunchEndpoints(await stores.jobs.listCampaign(campaignId), request.failedOnly);
  if (endpoints.length === 0) {
    throw new ApiError(409, 'NOTHING_TO_RELAUNCH', `campaign ${campaignId} has no device that ${request.failedOnly ? 'failed' : 'failed or was not reached'}`);
  }
  const lineage: CampaignLineage = { kind: 'relaunch', campaignId };
  const definition = { ...definitionOf(campaign), name: `${campaign.name} (relaunch${request.failedOnly ? ', failed only' : ''})`, target: { endpoints } };
  return launchCampaign(stores, starter, definition, { actor: request.actor, derivedFrom: lineage });
}

/** A rollback's plan, and the campaigns it created (none on a dry run). */
export interface RollbackOutcome extends RollbackPlan {
  readonly dryRun: boolean;
  readonly campaigns: readonly { readonly campaignId: string; readonly imageId: string; readonly version: string; readonly devices: number }[];
}

export async function rollbackCampaign(stores: Stores, starter: ExecutionStarter, campaignId: string, request: FollowUpRequest & { readonly dryRun: boolean }): Promise<RollbackOutcome> {
  const campaign = await finishedCampaign(stores, campaignId);
  const images = (await stores.images.list()).filter((image) => image.status === ImageStatus.Verified);
  const plan = planRollback(await stores.jobs.listCampaign(campaignId), images);
  if (request.dryRun) return { ...plan, dryRun: true, campaigns: [] };
  if (plan.groups.length === 0) throw new ApiError(409, 'NOTHING_TO_ROLL_BACK', `campaign ${campaignId} updated no device whose previous image is stored`);
  const created: RollbackOutcome['campaigns'][number][] = [];
  for (const group of plan.groups) {
    const definition = {
      ...definitionOf(campaign),
      name: `${campaign.name} (rollback to ${group.version})`,
      imageId: group.imageId,
      target: { endpoints: group.endpoints },
      // Back to an older version is a downgrade by definition; launchCampaign audits it.
      allowDowngrade: true,
    };
    const launched = await launchCampaign(stores, starter, definition, { actor: request.actor, derivedFrom: { kind: 'rollback', campaignId } });
    created.push({ campaignId: launched.campaignId, imageId: group.imageId, version: group.version, devices: group.endpoints.length });
  }
  return { ...plan, dryRun: false, campaigns: created };
}
