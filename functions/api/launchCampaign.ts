/**
 * Use case: validate a campaign definition, record the campaign, and start its workflow execution.
 * Shared by the local demo, the API handler and the CLI.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CampaignStatus, type Campaign, type CampaignDefinition } from '../../core/campaign/Campaign.ts';
import { validatePercentages } from '../../core/campaign/cohorts.ts';
import type { Stores } from '../../store/Stores.ts';

export const CampaignDefinitionSchema = z.object({
  name: z.string().min(1).max(200),
  imageId: z.string().min(1),
  target: z.object({ model: z.string().min(1).optional(), endpoints: z.array(z.string().min(1)).min(1).optional() }).strict(),
  cohortPercentages: z.array(z.number().gt(0).max(100)).min(1).max(20).default([100]),
  pollSeconds: z.number().int().min(1).max(3600).default(30),
  downloadTimeoutSeconds: z.number().int().min(1).default(3600),
  installTimeoutSeconds: z.number().int().min(1).default(1800),
  abortFailurePercent: z.number().min(0).max(100).default(5),
});

export class InvalidCampaignError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidCampaignError';
  }
}

export interface ExecutionStarter {
  startExecution(input: Record<string, unknown>): { readonly executionId: string };
}

export async function launchCampaign(stores: Stores, starter: ExecutionStarter, input: unknown): Promise<Campaign & { executionId: string }> {
  const parsed = CampaignDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidCampaignError(parsed.error.issues.map((i) => `${i.path.join('.') || 'campaign'}: ${i.message}`).join('; '));
  }
  const definition = parsed.data as CampaignDefinition;
  try {
    validatePercentages(definition.cohortPercentages);
  } catch (error) {
    throw new InvalidCampaignError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const image = await stores.images.get(definition.imageId);
  if (image === undefined) throw new InvalidCampaignError(`imageId: no image ${definition.imageId}`);
  if (!image.verified) throw new InvalidCampaignError(`imageId: image ${definition.imageId} is not verified`);
  const now = Date.now();
  const campaign: Campaign = {
    ...definition,
    campaignId: randomUUID(),
    status: CampaignStatus.Created,
    targetVersion: image.version,
    createdAt: now,
    updatedAt: now,
  };
  await stores.campaigns.create(campaign);
  const { executionId } = starter.startExecution({ campaignId: campaign.campaignId });
  return { ...campaign, executionId };
}
