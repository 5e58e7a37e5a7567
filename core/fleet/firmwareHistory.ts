/**
 * A device's firmware history: the versions it ran over time and the campaigns that moved it, from
 * its jobs (one per campaign that targeted it) and its registration. Pure.
 */
import type { FirmwareJob } from '../jobs/FirmwareJob.ts';
import { JobStatus, isTerminal } from '../jobs/jobStateMachine.ts';

/** One campaign's part in the device's history. */
export interface FirmwareUpdateRecord {
  readonly campaignId: string;
  readonly imageId: string;
  readonly targetVersion: string;
  readonly status: JobStatus;
  readonly reason?: string;
  /** The version the device reported when its job ended (read back from /3/0/3). */
  readonly reportedVersion?: string;
  readonly startedAt: number;
  /** When the job reached its status (for a job still running: its last change). */
  readonly at: number;
}

/** A version the device ran, from when, and the campaign that installed it (absent: found at registration). */
export interface FirmwareVersionPeriod {
  readonly version: string;
  readonly since: number;
  readonly campaignId?: string;
}

export interface FirmwareHistory {
  readonly endpoint: string;
  readonly currentVersion?: string;
  /** Oldest first. */
  readonly versions: readonly FirmwareVersionPeriod[];
  /** Every campaign that targeted the device, latest first. */
  readonly updates: readonly FirmwareUpdateRecord[];
  /** The latest finished update that failed, when the device's last finished update failed. */
  readonly lastUpdateFailed?: FirmwareUpdateRecord;
}

interface HistoryDevice {
  readonly endpoint: string;
  readonly firmwareVersion?: string;
  readonly registeredAt: number;
}

export function firmwareHistory(device: HistoryDevice, jobs: readonly FirmwareJob[]): FirmwareHistory {
  const updates = jobs.map(updateRecord).sort((a, b) => b.at - a.at);
  const installed = updates.filter((update) => update.status === JobStatus.Succeeded).reverse();
  const versions: FirmwareVersionPeriod[] = installed.map((update) => ({ version: update.reportedVersion ?? update.targetVersion, since: update.at, campaignId: update.campaignId }));
  const current = device.firmwareVersion;
  if (current !== undefined && versions.at(-1)?.version !== current) {
    // Running a version no campaign installed: as the device reported it when it last registered.
    versions.push({ version: current, since: Math.max(device.registeredAt, versions.at(-1)?.since ?? 0) });
  }
  const lastFinished = updates.find((update) => isTerminal(update.status) && update.status !== JobStatus.Skipped);
  return {
    endpoint: device.endpoint,
    ...(current === undefined ? {} : { currentVersion: current }),
    versions,
    updates,
    ...(lastFinished?.status === JobStatus.Failed ? { lastUpdateFailed: lastFinished } : {}),
  };
}

function updateRecord(job: FirmwareJob): FirmwareUpdateRecord {
  return {
    campaignId: job.campaignId,
    imageId: job.imageId,
    targetVersion: job.targetVersion,
    status: job.status,
    ...(job.reason === undefined ? {} : { reason: job.reason }),
    ...(job.reportedVersion === undefined ? {} : { reportedVersion: job.reportedVersion }),
    startedAt: job.createdAt,
    at: job.updatedAt,
  };
}
