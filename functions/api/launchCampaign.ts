/**
 * Use case: validate a campaign definition, record the campaign, and start its workflow execution.
 * Shared by the local demo, the API handler and the CLI.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CampaignStatus, type Campaign, type CampaignDefinition, type CampaignLineage } from '../../core/campaign/Campaign.ts';
import { validateCohortSpecs, validatePercentages } from '../../core/campaign/cohorts.ts';
import { isTimeZone } from '../../core/campaign/windows.ts';
import { dynamicWindowProblem } from '../../core/campaign/dynamic.ts';
import { definitionProblems, isRefused, MIN_DEVICES_PER_MINUTE } from '../../core/campaign/definitionRules.ts';
import { TAG_LIMITS } from '../../core/devices/deviceTags.ts';
import { idString } from './schemas.ts';
import { matchTarget } from './targetMatch.ts';
import { ImageStatus, type FirmwareImage } from '../../core/images/FirmwareImage.ts';
import { FailureReasonSchema } from './schemas.ts';
import type { Stores } from '../../store/Stores.ts';
import { isConditionalCheckFailure } from '../../store/conditionalWrite.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');
const TimeWindowSchema = z
  .object({ start: hhmm, end: hhmm, defaultTimeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Paris').optional() })
  .strict()
  .refine((w) => w.start !== w.end, 'start and end must differ');

/** Most endpoints a target may list (see target.endpoints). */
export const MAX_TARGET_ENDPOINTS = 500;

export const CampaignDefinitionSchema = z
  .object({
    name: z.string().min(1).max(200),
    imageId: idString,
    target: z
      .object({
        model: z.string().min(1).max(256).optional(),
        manufacturer: z.string().min(1).max(256).optional(),
        firmwareVersions: z.object({ min: z.string().min(1).max(64).optional(), max: z.string().min(1).max(64).optional() }).strict().optional(),
        groups: z.array(z.string().min(1).max(TAG_LIMITS.nameLength)).min(1).max(TAG_LIMITS.groupsPerDevice).optional(),
        attributes: z.record(z.string().min(1).max(TAG_LIMITS.nameLength), z.string().max(TAG_LIMITS.valueLength)).optional(),
        // The campaign record holds the list: 500 ids of at most 512 characters stay below DynamoDB's 400 KB item; larger sets are groups.
        endpoints: z.array(idString).min(1).max(MAX_TARGET_ENDPOINTS).optional(),
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
      .object({ failurePercent: z.number().min(0).max(100), minFinished: z.number().int().min(1).optional(), byReason: z.partialRecord(FailureReasonSchema, z.number().min(0).max(100)).optional() })
      .strict()
      .optional(),
    successThresholdPercent: z.number().min(0).max(100).optional(),
    approvalRequired: z.boolean().optional(),
    rate: z
      .object({
        devicesPerMinute: z.number().min(MIN_DEVICES_PER_MINUTE).max(1_000_000),
        rampFactor: z.number().min(1).max(10).optional(),
        maxDevicesPerMinute: z.number().min(MIN_DEVICES_PER_MINUTE).max(1_000_000).optional(),
        jitterSeconds: z.number().min(0).max(3600).optional(),
      })
      .strict()
      .optional(),
    downloadWindow: TimeWindowSchema.optional(),
    installWindow: TimeWindowSchema.optional(),
    retry: z.partialRecord(FailureReasonSchema, z.object({ maxAttempts: z.number().int().min(1).max(20), backoffSeconds: z.number().min(0).max(86400) }).strict()).optional(),
    allowDowngrade: z.boolean().optional(),
    startAt: z.iso.datetime({ offset: true, message: 'an ISO 8601 time with its offset, such as 2026-12-24T22:00:00Z' }).optional(),
    canaryEndpoints: z.array(z.string().min(1).max(2048)).min(1).max(1000).optional(),
    approvers: z.number().int().min(1).max(2).optional(),
    dynamic: z.boolean().optional(),
    endAt: z.iso.datetime({ offset: true, message: 'an ISO 8601 time with its offset, such as 2026-12-31T00:00:00Z' }).optional(),
  })
  .strict()
  .superRefine((definition, context) => {
    for (const { field, message } of definitionProblems(definition as CampaignDefinition)) context.addIssue({ code: 'custom', path: field.split('.'), message });
  });

export class InvalidCampaignError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidCampaignError';
  }
}

/**
 * Starts a campaign's workflow execution (Step Functions' StartExecution in AWS, the local runner
 * at home). The execution is named after the campaign, so a retry never starts a second one: an
 * execution that already exists under the name counts as started.
 */
export interface ExecutionStarter {
  startExecution(input: Record<string, unknown>, name: string): Promise<{ readonly executionId: string }>;
}

/** The same Idempotency-Key (same actor) sent with another definition: refused, never applied. */
export class IdempotencyConflictError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IdempotencyConflictError';
  }
}

/** The image went away (being deleted, or no longer verified) while the campaign was being created. */
export class ImageUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageUnavailableError';
  }
}

/** The campaign is recorded (CREATED) but its workflow could not be started: retry with the same Idempotency-Key. */
export class WorkflowStartError extends Error {
  readonly campaignId: string;
  constructor(message: string, campaignId: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkflowStartError';
    this.campaignId = campaignId;
  }
}

export interface LaunchOptions {
  /** Who asks (recorded in the audit trail; part of the idempotency scope). @default 'anonymous' */
  readonly actor?: string;
  /** The client's Idempotency-Key: the campaign id is derived from (actor, key), so a retry finds the first campaign. */
  readonly idempotencyKey?: string;
  /** The campaign this one relaunches or rolls back (recorded, and in the audit trail). */
  readonly derivedFrom?: CampaignLineage;
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
  const dynamicProblem = dynamicWindowProblem(definition, Date.now());
  if (dynamicProblem !== undefined) throw new InvalidCampaignError(dynamicProblem);
  const image = await stores.images.get(definition.imageId);
  if (image === undefined) throw new InvalidCampaignError(`imageId: no image ${definition.imageId}`);
  if (image.status === ImageStatus.Deleting) throw new ImageUnavailableError(`imageId: image ${definition.imageId} is being deleted`);
  if (!image.verified) throw new InvalidCampaignError(`imageId: image ${definition.imageId} is not verified`);
  return { definition, image };
}

/**
 * Records the campaign, reserves its image and starts its workflow, all before answering: the
 * campaign record first (a reservation always names an existing campaign), then the image's
 * reservation (refused while the image is being deleted: the create is undone), then the
 * execution. With an idempotency key the campaign id is derived from (actor, key), so a retry,
 * even after a failed start, finds the same campaign and starts it.
 */
export async function launchCampaign(stores: Stores, starter: ExecutionStarter, input: unknown, options: LaunchOptions = {}): Promise<Campaign & { executionId: string }> {
  const { definition, image } = await checkCampaignDefinition(stores, input);
  const refused = (await matchTarget(stores, definition, image)).problems.filter(isRefused);
  if (refused.length > 0) throw new InvalidCampaignError(refused.map(({ field, message }) => `${field}: ${message}`).join('; '));
  const actor = options.actor ?? 'anonymous';
  const now = Date.now();
  const key = options.idempotencyKey;
  const requestSha256 = key === undefined ? undefined : sha256(canonicalJson(definition));
  const audit = [
    ...(options.derivedFrom === undefined ? [] : [{ at: now, actor, action: options.derivedFrom.kind, detail: `of campaign ${options.derivedFrom.campaignId}` }]),
    ...(definition.allowDowngrade === true ? [{ at: now, actor, action: 'allow-downgrade', detail: 'devices on a higher or unordered version may be given this image' }] : []),
  ];
  const campaign: Campaign = {
    ...definition,
    campaignId: key === undefined ? randomUUID() : campaignIdFor(actor, key),
    status: CampaignStatus.Created,
    targetVersion: image.version,
    createdAt: now,
    updatedAt: now,
    createdBy: actor,
    ...(requestSha256 === undefined ? {} : { requestSha256 }),
    ...(options.derivedFrom === undefined ? {} : { derivedFrom: options.derivedFrom }),
    ...(audit.length === 0 ? {} : { audit }),
  };
  const recorded = await recordOnce(stores, campaign);
  // Reserved again on a retry (a map entry: idempotent), in case the first request stopped between
  // its record and its reservation. A refusal means no request ever reserved it, so none started
  // an execution either: the campaign is undone.
  if (recorded.status === CampaignStatus.Created && !(await stores.imageReservations.reserveForCampaign(image.imageId, recorded.campaignId, now))) {
    await stores.campaigns.discardUnstarted(recorded.campaignId);
    throw new ImageUnavailableError(`imageId: image ${image.imageId} is being deleted or is no longer verified`);
  }
  try {
    // Step Functions' Wait reads an RFC 3339 time; in UTC whatever offset the client gave.
    const startAt = recorded.startAt === undefined ? {} : { startAt: new Date(recorded.startAt).toISOString() };
    const { executionId } = await starter.startExecution({ campaignId: recorded.campaignId, ...startAt }, recorded.campaignId);
    return { ...recorded, executionId };
  } catch (error) {
    throw new WorkflowStartError(
      `campaign ${recorded.campaignId} is recorded but its workflow did not start (${error instanceof Error ? error.message : String(error)}); send the same request again${key === undefined ? ' with an Idempotency-Key' : ' with the same Idempotency-Key'}`,
      recorded.campaignId,
      { cause: error },
    );
  }
}

/** The campaign as recorded: this one, or the one an earlier request with the same key recorded (same definition only). */
async function recordOnce(stores: Stores, campaign: Campaign): Promise<Campaign> {
  try {
    await stores.campaigns.create(campaign);
    return campaign;
  } catch (error) {
    if (!isConditionalCheckFailure(error) || campaign.requestSha256 === undefined) throw error;
    const existing = await stores.campaigns.get(campaign.campaignId);
    if (existing === undefined) throw error;
    if (existing.requestSha256 !== campaign.requestSha256) {
      throw new IdempotencyConflictError(`Idempotency-Key: already used for campaign ${existing.campaignId} with another definition; use a new key for a new campaign`, { cause: error });
    }
    return existing;
  }
}

/** A UUID-shaped id from (actor, key): the same request retried names the same campaign. */
export function campaignIdFor(actor: string, key: string): string {
  const hex = sha256(`${actor}\n${key}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so the same definition always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
