/**
 * POST /campaigns with an Idempotency-Key: Powertools' idempotency utility (DynamoDB persistence,
 * a table of its own) keeps the first answer per (actor, key), refuses the same key with another
 * definition, and answers 409 while the first request is still running. Under it, the campaign
 * id is derived from (actor, key) (launchCampaign.ts), so a request whose workflow start failed
 * (Powertools then forgets the key) is completed by its retry: the same campaign, now started.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Campaign } from '../../core/campaign/Campaign.ts';
import type { Stores } from '../../store/Stores.ts';
import { launchCampaign, type ExecutionStarter } from './launchCampaign.ts';

export interface IdempotentCreate {
  readonly actor: string;
  readonly idempotencyKey: string;
  /** The campaign definition as the client sent it. */
  readonly definition: unknown;
}

/** How long a key is remembered: a client retrying later than this creates a new campaign. */
export const IDEMPOTENCY_KEY_SECONDS = 24 * 3600;
/** A request that died mid-way (its record stays INPROGRESS) blocks its key this long: the API Lambda's timeout. */
const IN_PROGRESS_MS = 29_000;

export type LaunchedCampaign = Campaign & { executionId: string };

export async function createCampaignOnce(stores: Stores, starter: ExecutionStarter, request: IdempotentCreate): Promise<LaunchedCampaign> {
  const launch = makeIdempotent(
    // The second argument looks like a Lambda context to Powertools: it sets the in-progress expiry from it.
    async (create: IdempotentCreate, _deadline: { getRemainingTimeInMillis(): number }): Promise<LaunchedCampaign> =>
      launchCampaign(stores, starter, create.definition, { actor: create.actor, idempotencyKey: create.idempotencyKey }),
    {
      persistenceStore: stores.idempotency,
      config: new IdempotencyConfig({ eventKeyJmesPath: '[actor, idempotencyKey]', payloadValidationJmesPath: 'definition', expiresAfterSeconds: IDEMPOTENCY_KEY_SECONDS }),
    },
  );
  return launch(request, { getRemainingTimeInMillis: () => IN_PROGRESS_MS });
}
