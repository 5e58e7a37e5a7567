/**
 * Applies a lifecycle trigger (an operator's action or a workflow event) to a stored campaign:
 * read, decide with the pure table (core/campaign/lifecycle.ts), write conditioned on the
 * (status, version) decided from. A lost write means someone else changed the campaign: read
 * again and decide again from what is there now (bounded), never apply blindly.
 */
import type { Campaign, CampaignStatus } from '../../core/campaign/Campaign.ts';
import type { IllegalCampaignTransitionError } from '../../core/campaign/errors.ts';
import { applyCampaignTrigger, type CampaignChange, type CampaignTrigger } from '../../core/campaign/lifecycle.ts';
import type { CampaignStore } from '../../core/ports/CampaignStore.ts';
import { CampaignContendedError } from './errors.ts';

/** Each lost attempt means another writer's change was applied: contention this long is not expected. */
export const MAX_TRANSITION_ATTEMPTS = 25;

export type TriggerOutcome =
  | { readonly kind: 'applied'; readonly campaign: Campaign; readonly previous: CampaignStatus }
  /** The trigger is not allowed from the status found; `campaign` is what was found. */
  | { readonly kind: 'refused'; readonly campaign: Campaign; readonly error: IllegalCampaignTransitionError }
  | { readonly kind: 'notFound' };

export async function triggerCampaign(campaigns: CampaignStore, campaignId: string, trigger: CampaignTrigger, clock: () => number): Promise<TriggerOutcome> {
  for (let attempt = 0; attempt < MAX_TRANSITION_ATTEMPTS; attempt++) {
    const campaign = await campaigns.get(campaignId);
    if (campaign === undefined) return { kind: 'notFound' };
    // The clock is read after the campaign, so an audit entry is never older than the one it follows.
    const decided = applyCampaignTrigger(campaign, trigger, clock());
    if (!decided.success) return { kind: 'refused', campaign, error: decided.error };
    if (await campaigns.transition(campaignId, decided.data)) {
      return { kind: 'applied', campaign: changed(campaign, decided.data), previous: campaign.status };
    }
  }
  throw new CampaignContendedError(`campaign ${campaignId} changed under each of ${MAX_TRANSITION_ATTEMPTS} attempts to apply '${trigger.kind}'`);
}

/** The campaign as stored after `change`. */
function changed(campaign: Campaign, change: CampaignChange): Campaign {
  const after: Record<string, unknown> = { ...campaign, ...change.set, status: change.status, version: change.version };
  for (const key of change.remove) delete after[key];
  if (change.audit !== undefined) after['audit'] = [...(campaign.audit ?? []), change.audit];
  return after as unknown as Campaign;
}
