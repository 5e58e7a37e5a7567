/** Lifecycle of a campaign as a whole; the workflow moves it, the API reads it. */
export const CampaignStatus = {
  Created: 'CREATED',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Aborted: 'ABORTED',
} as const;
export type CampaignStatus = (typeof CampaignStatus)[keyof typeof CampaignStatus];

export interface TargetSelector {
  readonly model?: string;
  readonly endpoints?: readonly string[];
}

export interface CampaignDefinition {
  readonly name: string;
  readonly imageId: string;
  readonly target: TargetSelector;
  /** Cumulative share of the fleet per cohort, canary first, e.g. [1, 10, 100]. */
  readonly cohortPercentages: readonly number[];
  /** Seconds between monitor polls of a phase. */
  readonly pollSeconds: number;
  readonly downloadTimeoutSeconds: number;
  readonly installTimeoutSeconds: number;
  /** Abort when more than this share of finished devices in a cohort failed (0..100). */
  readonly abortFailurePercent: number;
}

export interface Campaign extends CampaignDefinition {
  readonly campaignId: string;
  readonly status: CampaignStatus;
  readonly targetVersion: string;
  readonly cohortCount?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  readonly summary?: CampaignSummary;
}

export interface CampaignSummary {
  readonly devices: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
  readonly failureReasons: Readonly<Record<string, number>>;
}
