import type { DeliveryMethod, JobHistoryEntry, JobStatus } from './jobStateMachine.ts';

/** One device's part in one campaign, as stored. */
export interface FirmwareJob {
  readonly campaignId: string;
  readonly jobKey: string;
  readonly endpoint: string;
  readonly cohort: number;
  readonly status: JobStatus;
  readonly version: number;
  readonly attempt: number;
  readonly imageId: string;
  readonly targetVersion: string;
  /** Secret in the Package URI: a device can fetch only the image of its own job. */
  readonly downloadToken: string;
  readonly ownerTask?: string;
  readonly installRequested?: boolean;
  readonly delivery?: DeliveryMethod;
  readonly deadline?: number;
  readonly reason?: string;
  readonly updateResult?: number;
  readonly reportedVersion?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly history: readonly JobHistoryEntry[];
}

export function jobKeyFor(cohort: number, endpoint: string): string {
  return `${String(cohort).padStart(4, '0')}#${endpoint}`;
}

export function cohortPrefix(cohort: number): string {
  return `${String(cohort).padStart(4, '0')}#`;
}
