/**
 * The rollout rate across ticks: the campaign's token bucket (core/campaign/rollout.ts), refilled
 * on its active clock and written back. What a tick may release is reserved before it releases,
 * so a tick that dies midway releases less than the rate, never more.
 */
import type { Campaign } from '../../core/campaign/Campaign.ts';
import { activeTime } from '../../core/campaign/lifecycle.ts';
import { refillReleaseBucket } from '../../core/campaign/rollout.ts';
import type { Stores } from '../../store/Stores.ts';

/** Tokens within this of a whole number count as that number (tokens are sums of float fractions). */
const EPSILON = 1e-9;

export interface ReleaseReservation {
  /** Devices this tick may release. */
  readonly allowance: number;
  /** Gives back what was reserved and not released. */
  settle(released: number): Promise<void>;
}

const UNLIMITED: ReleaseReservation = { allowance: Number.POSITIVE_INFINITY, settle: () => Promise.resolve() };

/** Refills the bucket of the phase that started at `phaseStartedAt` and reserves up to `wanted` devices. */
export async function reserveReleases(stores: Stores, campaign: Campaign, phaseStartedAt: number, now: number, wanted: number): Promise<ReleaseReservation> {
  if (campaign.rate === undefined) return UNLIMITED;
  const phase = { startedAt: phaseStartedAt, startActiveMs: activeTime(campaign, phaseStartedAt) };
  const bucket = refillReleaseBucket(campaign.rate, campaign.releaseBucket, phase, activeTime(campaign, now), campaign.pollSeconds);
  const allowance = Math.max(0, Math.min(wanted, Math.floor(bucket.tokens + EPSILON)));
  const reserved = { ...bucket, tokens: bucket.tokens - allowance };
  const stored = campaign.releaseBucket;
  if (stored === undefined || stored.phaseStartedAt !== reserved.phaseStartedAt || stored.activeMs !== reserved.activeMs || stored.tokens !== reserved.tokens) {
    await stores.campaigns.update(campaign.campaignId, { releaseBucket: reserved });
  }
  return {
    allowance,
    settle: async (released) => {
      if (released < allowance) await stores.campaigns.update(campaign.campaignId, { releaseBucket: { ...reserved, tokens: reserved.tokens + allowance - released } });
    },
  };
}
