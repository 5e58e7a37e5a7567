import { describe, expect, it } from 'vitest';
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import { cohortInstallOf, installDeadline, type CohortInstallFacts } from '../../core/jobs/cohortInstall.ts';

const T0 = Date.parse('2026-11-25T00:00:00Z');
const campaign = (extra: Partial<CohortInstallFacts> = {}): CohortInstallFacts => ({ status: CampaignStatus.Running, installTimeoutSeconds: 60, installRequestedAt: { '1': T0 }, ...extra });

describe("a cohort's install request", () => {
  it('is in force for the cohort asked for while the campaign is RUNNING, and for no other cohort or status', () => {
    expect(cohortInstallOf(campaign(), 1)).toEqual({ requestedAt: T0, timeoutMs: 60_000 });
    expect(cohortInstallOf(campaign(), 0)).toBeUndefined();
    for (const status of [CampaignStatus.Paused, CampaignStatus.Cancelling, CampaignStatus.Cancelled, CampaignStatus.Succeeded]) {
      expect(cohortInstallOf(campaign({ status }), 1), status).toBeUndefined();
    }
  });

  it('gives a DOWNLOADED job its deadline from the later of the request and its arrival', () => {
    const install = { requestedAt: T0, timeoutMs: 60_000 };
    expect(installDeadline({ updatedAt: T0 - 5_000 }, install, T0 + 1)).toBe(T0 + 60_000);
    expect(installDeadline({ updatedAt: T0 + 30_000 }, install, T0 + 31_000)).toBe(T0 + 90_000);
  });

  it('gives none while the device\'s window is closed, and counts from the opening once it is open', () => {
    const install = { requestedAt: T0, timeoutMs: 60_000, window: { start: '09:00', end: '10:00' } };
    // T0 is 00:00 UTC and 09:00 in Tokyo.
    expect(installDeadline({ updatedAt: T0 - 3_600_000 }, install, T0 + 1_000, 'UTC')).toBeUndefined();
    expect(installDeadline({ updatedAt: T0 - 3_600_000 }, { ...install, requestedAt: T0 - 7_200_000 }, T0 + 1_000, 'Asia/Tokyo')).toBe(T0 + 60_000);
  });
});
