/**
 * Rollout policy: how many devices may be released now (rate with exponential ramp), which
 * failures are retried and when, and whether a cohort passes, waits, or aborts the campaign.
 */
import { DEFAULT_RETRY_POLICY, type AbortCriteria, type CampaignDefinition, type RetryRule, type RolloutRate } from './Campaign.ts';
import type { CohortTally } from './progress.ts';

/**
 * Devices that may have been released `elapsedMs` after the phase started: the integral of a
 * rate that starts at `devicesPerMinute` and grows by `rampFactor` per minute up to the maximum.
 */
export function releaseAllowance(rate: RolloutRate | undefined, elapsedMs: number): number {
  if (rate === undefined) return Number.POSITIVE_INFINITY;
  const minutes = Math.max(0, elapsedMs) / 60_000;
  const factor = rate.rampFactor ?? 1;
  const max = rate.maxDevicesPerMinute ?? rate.devicesPerMinute;
  if (factor <= 1) return Math.floor(1 + rate.devicesPerMinute * minutes);
  let total = 0;
  let perMinute = rate.devicesPerMinute;
  let remaining = minutes;
  while (remaining > 0 && total < 1e12) {
    const slice = Math.min(1, remaining);
    total += Math.min(perMinute, max) * slice;
    perMinute *= factor;
    remaining -= slice;
  }
  return Math.floor(1 + total);
}

/** The retry rule for a failure reason: the campaign's own, else the default policy. */
export function retryRuleFor(definition: Pick<CampaignDefinition, 'retry'>, reason: string): RetryRule | undefined {
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
    if (count > 0 && share(count) > limit) return `${reason} ${share(count).toFixed(1)}% > ${limit}%`;
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
