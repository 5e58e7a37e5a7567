/**
 * A cohort's install request (issue 17: one write per cohort, not one per job). The workflow
 * records on the campaign when it asked for cohort N's install (Campaign#installRequestedAt); the
 * edge installs each DOWNLOADED job of the cohort while the campaign is RUNNING, inside the
 * device's own install window, and the install deadline counts from the latest of the request,
 * the job's arrival in DOWNLOADED and the opening of the window it installs in. The edge (each
 * poll) and the workflow's monitor apply this same rule.
 */
import { CampaignStatus, type Campaign, type TimeWindow } from '../campaign/Campaign.ts';
import { windowOpenedAt } from '../campaign/windows.ts';
import type { FirmwareJob } from './FirmwareJob.ts';

/** What a cohort's install request says to its DOWNLOADED jobs. */
export interface CohortInstall {
  /** When the workflow asked for the cohort's install (epoch ms). */
  readonly requestedAt: number;
  readonly timeoutMs: number;
  readonly window?: TimeWindow;
}

/** The campaign fields the rule reads. */
export type CohortInstallFacts = Pick<Campaign, 'status' | 'installRequestedAt' | 'installTimeoutSeconds' | 'installWindow'>;

/**
 * The install request of `cohort`, when there is one in force: asked for, and the campaign
 * RUNNING (a paused, cancelling or finished campaign starts no install).
 */
export function cohortInstallOf(campaign: CohortInstallFacts, cohort: number): CohortInstall | undefined {
  const requestedAt = campaign.installRequestedAt?.[String(cohort)];
  if (requestedAt === undefined || campaign.status !== CampaignStatus.Running) return undefined;
  return { requestedAt, timeoutMs: campaign.installTimeoutSeconds * 1000, ...(campaign.installWindow === undefined ? {} : { window: campaign.installWindow }) };
}

/**
 * The install deadline of a DOWNLOADED job under its cohort's request, at `now`: the install
 * timeout after the latest of the request, the job's last transition (its arrival in
 * DOWNLOADED, or a deferral back to it) and the opening of the device's install window; undefined
 * while the window is closed for the device (no install starts, and none is late).
 */
export function installDeadline(job: Pick<FirmwareJob, 'updatedAt'>, install: CohortInstall, now: number, deviceTimeZone?: string): number | undefined {
  const openedAt = windowOpenedAt(install.window, now, deviceTimeZone);
  if (openedAt === undefined) return undefined;
  const from = Math.max(install.requestedAt, job.updatedAt, install.window === undefined ? Number.NEGATIVE_INFINITY : openedAt);
  return from + install.timeoutMs;
}
