/**
 * Use case: validate a campaign definition, record the campaign, and start its workflow execution.
 * Shared by the local demo, the API handler and the CLI.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CampaignStatus, type Campaign, type CampaignDefinition } from '../../core/campaign/Campaign.ts';
import { validateCohortSpecs, validatePercentages } from '../../core/campaign/cohorts.ts';
import { isTimeZone } from '../../core/campaign/windows.ts';
import type { FirmwareImage } from '../../core/images/FirmwareImage.ts';
import type { Stores } from '../../store/Stores.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');
const TimeWindowSchema = z
  .object({ start: hhmm, end: hhmm, defaultTimeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Paris').optional() })
  .strict()
  .refine((w) => w.start !== w.end, 'start and end must differ');
const failureReason = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a failure reason such as DEVICE_TIMEOUT');

export const CampaignDefinitionSchema = z
  .object({
    name: z.string().min(1).max(200),
    imageId: z.string().min(1),
    target: z
      .object({
        model: z.string().min(1).optional(),
        manufacturer: z.string().min(1).optional(),
        firmwareVersions: z.object({ min: z.string().min(1).optional(), max: z.string().min(1).optional() }).strict().optional(),
        groups: z.array(z.string().min(1)).min(1).optional(),
        endpoints: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict(),
    cohortPercentages: z.array(z.number().gt(0).max(100)).min(1).max(20).default([100]),
    cohorts: z
      .array(z.union([z.object({ percent: z.number().gt(0).max(100) }).strict(), z.object({ count: z.number().int().min(1) }).strict()]))
      .min(1)
      .max(20)
      .optional(),
    pollSeconds: z.number().int().min(1).max(3600).default(30),
    maxPollSeconds: z.number().int().min(1).max(3600).optional(),
    downloadTimeoutSeconds: z.number().int().min(1).default(3600),
    installTimeoutSeconds: z.number().int().min(1).default(1800),
    abortFailurePercent: z.number().min(0).max(100).default(5),
    abort: z
      .object({ failurePercent: z.number().min(0).max(100), minFinished: z.number().int().min(1).optional(), byReason: z.record(failureReason, z.number().min(0).max(100)).optional() })
      .strict()
      .optional(),
    successThresholdPercent: z.number().min(0).max(100).optional(),
    approvalRequired: z.boolean().optional(),
    rate: z
      .object({
        devicesPerMinute: z.number().gt(0),
        rampFactor: z.number().min(1).max(10).optional(),
        maxDevicesPerMinute: z.number().gt(0).optional(),
        jitterSeconds: z.number().min(0).max(3600).optional(),
      })
      .strict()
      .optional(),
    downloadWindow: TimeWindowSchema.optional(),
    installWindow: TimeWindowSchema.optional(),
    retry: z.record(failureReason, z.object({ maxAttempts: z.number().int().min(1).max(20), backoffSeconds: z.number().min(0).max(86400) }).strict()).optional(),
  })
  .strict();

export class InvalidCampaignError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidCampaignError';
  }
}

export interface ExecutionStarter {
  startExecution(input: Record<string, unknown>): { readonly executionId: string };
}

/** A campaign definition checked against the schema, its cohort plan and its image's registry entry. */
export interface CheckedCampaign {
  readonly definition: CampaignDefinition;
  readonly image: FirmwareImage;
}

/** Validates a definition as `launchCampaign` does, without recording anything (also behind the dry run). */
export async function checkCampaignDefinition(stores: Stores, input: unknown): Promise<CheckedCampaign> {
  const parsed = CampaignDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidCampaignError(parsed.error.issues.map((i) => `${i.path.join('.') || 'campaign'}: ${i.message}`).join('; '));
  }
  const definition = parsed.data as CampaignDefinition;
  try {
    validatePercentages(definition.cohortPercentages);
    if (definition.cohorts !== undefined) validateCohortSpecs(definition.cohorts);
  } catch (error) {
    throw new InvalidCampaignError(`${definition.cohorts === undefined ? 'cohortPercentages' : 'cohorts'}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const image = await stores.images.get(definition.imageId);
  if (image === undefined) throw new InvalidCampaignError(`imageId: no image ${definition.imageId}`);
  if (!image.verified) throw new InvalidCampaignError(`imageId: image ${definition.imageId} is not verified`);
  return { definition, image };
}

export async function launchCampaign(stores: Stores, starter: ExecutionStarter, input: unknown): Promise<Campaign & { executionId: string }> {
  const { definition, image } = await checkCampaignDefinition(stores, input);
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
