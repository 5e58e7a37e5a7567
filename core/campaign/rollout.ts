/**
 * Rollout policy: how many devices may be released now (rate with exponential ramp), which
 * failures are retried and when, and whether a cohort passes, waits, or aborts the campaign.
 */
import { DEFAULT_RETRY_POLICY, type AbortCriteria, type CampaignDefinition, type ReleaseBucket, type RetryRule, type RolloutRate } from './Campaign.ts';
import type { CohortTally } from './progress.ts';
import type { FailureReason } from '../jobs/failureReason.ts';

/**
 * Devices that may have been released `elapsedMs` after the phase started, at the steady rate
 * (the first device at once): used to estimate a plan's duration.
 */
export function releaseAllowance(rate: RolloutRate | undefined, elapsedMs: number): number {
  if (rate === undefined) return Number.POSITIVE_INFINITY;
  return Math.floor(1 + rateIntegral(rate, elapsedMs));
}

/** Devices per minute `activeMs` into a phase: `devicesPerMinute`, times `rampFactor` per whole minute, up to the maximum. */
export function ratePerMinute(rate: RolloutRate, activeMs: number): number {
  const factor = rate.rampFactor ?? 1;
  if (factor <= 1) return rate.devicesPerMinute;
  const max = rate.maxDevicesPerMinute ?? rate.devicesPerMinute;
  return Math.min(max, rate.devicesPerMinute * factor ** Math.floor(Math.max(0, activeMs) / 60_000));
}

/** Devices earned in the first `activeMs` of a phase: the integral of `ratePerMinute`. */
export function rateIntegral(rate: RolloutRate, activeMs: number): number {
  const minutes = Math.max(0, activeMs) / 60_000;
  if ((rate.rampFactor ?? 1) <= 1) return rate.devicesPerMinute * minutes;
  let total = 0;
  for (let minute = 0; minute < minutes && total < 1e12; minute++) total += ratePerMinute(rate, minute * 60_000) * Math.min(1, minutes - minute);
  return total;
}

/**
 * The most tokens the release bucket holds: two polls' worth at the current rate, at least one
 * device. Ticks come about one poll apart (the poll stays at its base while devices wait for the
 * rate), so this never throttles below the rate, and it bounds any burst: after a pause, a closed
 * download window or a late tick, at most this many devices are released at once.
 */
export function releaseCapacity(rate: RolloutRate, activeMs: number, pollSeconds: number): number {
  return Math.max(1, (ratePerMinute(rate, activeMs) * 2 * pollSeconds) / 60);
}

/**
 * The release bucket refilled up to `activeNow` (the campaign's active clock, which stands still
 * while it is paused, so paused time earns nothing). A new phase starts a bucket holding one
 * token: the first device goes at once. Releases over any span of active time `w` are then at most
 * `releaseCapacity + rateIntegral over w`, whatever pauses, windows or late ticks came before.
 */
export function refillReleaseBucket(
  rate: RolloutRate,
  bucket: ReleaseBucket | undefined,
  phase: { readonly startedAt: number; readonly startActiveMs: number },
  activeNow: number,
  pollSeconds: number,
): ReleaseBucket {
  const current = bucket !== undefined && bucket.phaseStartedAt === phase.startedAt
    ? bucket
    : { phaseStartedAt: phase.startedAt, startActiveMs: phase.startActiveMs, activeMs: phase.startActiveMs, tokens: 1 };
  // A clock that steps back earns nothing, and takes nothing back.
  const activeMs = Math.max(activeNow, current.activeMs);
  const earned = rateIntegral(rate, activeMs - current.startActiveMs) - rateIntegral(rate, current.activeMs - current.startActiveMs);
  const capacity = releaseCapacity(rate, activeMs - current.startActiveMs, pollSeconds);
  return { ...current, activeMs, tokens: Math.min(Math.max(capacity, current.tokens), current.tokens + earned) };
}

/** The retry rule for a failure reason: the campaign's own, else the default policy. */
export function retryRuleFor(definition: Pick<CampaignDefinition, 'retry'>, reason: FailureReason): RetryRule | undefined {
  if (definition.retry !== undefined) return definition.retry[reason];
  return DEFAULT_RETRY_POLICY[reason];
}

/** When a failed job may be retried (attempt counts from 0), or undefined when it must stay failed. */
export function retryAt(rule: RetryRule | undefined, attempt: number, now: number): number | undefined {
  if (rule === undefined || attempt + 1 >= rule.maxAttempts) return undefined;
  return now + rule.backoffSeconds * 1000 * 2 ** attempt;
}

export type CohortVerdict = { readonly kind: 'pass' } | { readonly kind: 'abort'; readonly reason: string };

/** Abort criteria, evaluated at every poll: overall failure share and stricter per-reason limits. */
export function abortReason(tally: CohortTally, criteria: AbortCriteria): string | undefined {
  if (tally.finished < (criteria.minFinished ?? 1) || tally.total === 0) return undefined;
  const share = (n: number): number => (n * 100) / tally.total;
  if (tally.failed > 0 && share(tally.failed) > criteria.failurePercent) {
    return `failures ${share(tally.failed).toFixed(1)}% > ${criteria.failurePercent}%`;
  }
  for (const [reason, limit] of Object.entries(criteria.byReason ?? {})) {
    const count = tally.failureReasons[reason] ?? 0;
    if (limit !== undefined && count > 0 && share(count) > limit) return `${reason} ${share(count).toFixed(1)}% > ${limit}%`;
  }
  return undefined;
}

/** The gate after a cohort: abort criteria, then the success threshold. */
export function cohortVerdict(tally: CohortTally, definition: Pick<CampaignDefinition, 'abortFailurePercent' | 'abort' | 'successThresholdPercent'>): CohortVerdict {
  const aborted = abortReason(tally, abortCriteriaOf(definition));
  if (aborted !== undefined) return { kind: 'abort', reason: aborted };
  const threshold = definition.successThresholdPercent ?? 0;
  const eligible = tally.total - (tally.byStatus['SKIPPED'] ?? 0);
  const succeededPercent = eligible === 0 ? 100 : (tally.succeeded * 100) / eligible;
  if (succeededPercent < threshold) return { kind: 'abort', reason: `success ${succeededPercent.toFixed(1)}% < threshold ${threshold}%` };
  return { kind: 'pass' };
}

export function abortCriteriaOf(definition: Pick<CampaignDefinition, 'abortFailurePercent' | 'abort'>): AbortCriteria {
  return definition.abort ?? { failurePercent: definition.abortFailurePercent };
}

/** Poll less often while nothing changes (history events cost money and count toward 25,000). */
export function nextPollSeconds(current: number, changed: boolean, base: number, max: number): number {
  if (changed) return base;
  return Math.min(max, Math.max(base, Math.ceil(current * 1.5)));
}

/** Dotted numeric version comparison ("2.10.0" > "2.9.1"); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const diff = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}
