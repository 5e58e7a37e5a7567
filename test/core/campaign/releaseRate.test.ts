import { describe, expect, it } from 'vitest';
import { CampaignStatus, type Campaign, type RolloutRate } from '../../../core/campaign/Campaign.ts';
import { activeTime, applyCampaignTrigger, type CampaignSnapshot } from '../../../core/campaign/lifecycle.ts';
import { refillReleaseBucket, releaseCapacity } from '../../../core/campaign/rollout.ts';
import type { ReleaseBucket } from '../../../core/campaign/Campaign.ts';

type Snapshot = CampaignSnapshot & Pick<Campaign, 'pausedAt' | 'pausedMs'>;

interface Rollout {
  readonly rate: RolloutRate;
  readonly pollSeconds: number;
  /** Wall-clock ms between ticks (the injected clock's step). */
  readonly tickMs: number;
  readonly untilMs: number;
  /** [pause, resume] wall-clock ms, applied through the lifecycle table. */
  readonly pauses?: readonly (readonly [number, number])[];
  /** Whether devices may be released at this time (a download window); always by default. */
  readonly releasable?: (at: number) => boolean;
  readonly devices?: number;
}

/** Ticks a phase that starts at 0 with an injected clock, as cohortPhase does: refill, then release what the bucket allows. */
function rollOut(r: Rollout): number[] {
  let campaign: Snapshot = { status: CampaignStatus.Running, version: 0 };
  const act = (kind: 'pause' | 'resume', at: number): void => {
    const result = applyCampaignTrigger(campaign, { kind, actor: 'test' }, at);
    if (!result.success) throw result.error;
    const next: Record<string, unknown> = { ...campaign, ...result.data.set, status: result.data.status, version: result.data.version };
    for (const key of result.data.remove) delete next[key];
    campaign = next as Snapshot;
  };
  let bucket: ReleaseBucket | undefined;
  let pending = r.devices ?? 1_000_000;
  const released: number[] = [];
  for (let now = 0; now <= r.untilMs; now += r.tickMs) {
    for (const [pause, resume] of r.pauses ?? []) {
      if (now === pause) act('pause', now);
      if (now === resume) act('resume', now);
    }
    bucket = refillReleaseBucket(r.rate, bucket, { startedAt: 0, startActiveMs: activeTime(campaign, 0) }, activeTime(campaign, now), r.pollSeconds);
    if (campaign.status === CampaignStatus.Paused || !(r.releasable ?? (() => true))(now)) continue;
    const n = Math.min(pending, Math.floor(bucket.tokens + 1e-9));
    bucket = { ...bucket, tokens: bucket.tokens - n };
    pending -= n;
    for (let i = 0; i < n; i++) released.push(now);
  }
  return released;
}

/** The most releases in any window [a, a + windowMs). */
function mostInWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

const SIX_A_MINUTE = { devicesPerMinute: 6 };

describe('rollout rate across pauses (token bucket on the active clock)', () => {
  it('releases one device every 10 s at 6 a minute, 61 in ten minutes, never more than 6 in a minute', () => {
    const released = rollOut({ rate: SIX_A_MINUTE, pollSeconds: 1, tickMs: 1000, untilMs: 600_000 });
    expect(released.slice(0, 4)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(released).toHaveLength(61);
    expect(mostInWindow(released, 60_000)).toBe(6);
  });

  it('releases no burst when resumed after a 60 s pause: the next device 10 s of running time after the last', () => {
    const released = rollOut({ rate: SIX_A_MINUTE, pollSeconds: 1, tickMs: 1000, untilMs: 300_000, pauses: [[35_000, 95_000]] });
    expect(released.filter((at) => at >= 30_000 && at < 120_000)).toEqual([30_000, 100_000, 110_000]);
    expect(mostInWindow(released, 60_000)).toBe(6);
  });

  it('releases no more than the rate after an hour\'s pause', () => {
    const resumeAt = 35_000 + 3_600_000;
    const released = rollOut({ rate: SIX_A_MINUTE, pollSeconds: 1, tickMs: 1000, untilMs: resumeAt + 600_000, pauses: [[35_000, resumeAt]] });
    expect(released.filter((at) => at >= resumeAt && at < resumeAt + 60_000)).toHaveLength(6);
    expect(mostInWindow(released, 60_000)).toBe(6);
    expect(mostInWindow(released, 1000)).toBe(1);
    // Paused time earned nothing: released as if the hour never happened (35 s + 600 s of running time).
    expect(released).toHaveLength(1 + Math.floor((6 * 635) / 60));
  });

  it('keeps the rate when polled every 30 s: three devices a tick, six a minute', () => {
    const released = rollOut({ rate: SIX_A_MINUTE, pollSeconds: 30, tickMs: 30_000, untilMs: 600_000 });
    expect(released.filter((at) => at === 30_000)).toHaveLength(3);
    expect(released).toHaveLength(61);
    expect(mostInWindow(released, 60_000)).toBeLessThanOrEqual(7);
  });

  it('releases at most two polls\' worth when a download window opens after an hour closed, not the hour\'s allowance', () => {
    const opens = 3_600_000;
    const released = rollOut({ rate: SIX_A_MINUTE, pollSeconds: 30, tickMs: 30_000, untilMs: opens + 300_000, releasable: (at) => at >= opens });
    expect(releaseCapacity(SIX_A_MINUTE, opens, 30)).toBe(6);
    expect(released.filter((at) => at === opens)).toHaveLength(6);
    expect(mostInWindow(released, 60_000)).toBeLessThanOrEqual(6 + 6);
  });

  it('ramps on running time only: after a ten-minute pause in minute 2 the rate is that of minute 2', () => {
    const rate = { devicesPerMinute: 6, rampFactor: 2, maxDevicesPerMinute: 48 };
    const released = rollOut({ rate, pollSeconds: 1, tickMs: 1000, untilMs: 900_000, pauses: [[60_000, 660_000]] });
    // Minute 2 of running time runs at 12 a minute (one every 5 s), not at the 48 ten more minutes would give.
    expect(released.filter((at) => at >= 660_000 && at < 720_000)).toHaveLength(12);
    expect(mostInWindow(released.filter((at) => at >= 660_000 && at < 720_000), 10_000)).toBe(2);
  });
});
