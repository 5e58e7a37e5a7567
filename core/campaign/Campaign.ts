import type { FailureReason } from '../jobs/failureReason.ts';

/** Lifecycle of a campaign as a whole; the workflow moves it, the API reads it. */
export const CampaignStatus = {
  Created: 'CREATED',
  Running: 'RUNNING',
  Paused: 'PAUSED',
  WaitingApproval: 'WAITING_APPROVAL',
  Cancelling: 'CANCELLING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Aborted: 'ABORTED',
  Cancelled: 'CANCELLED',
} as const;
export type CampaignStatus = (typeof CampaignStatus)[keyof typeof CampaignStatus];

export const FINISHED_CAMPAIGN_STATUSES: ReadonlySet<CampaignStatus> = new Set([
  CampaignStatus.Succeeded,
  CampaignStatus.Failed,
  CampaignStatus.Aborted,
  CampaignStatus.Cancelled,
]);

export interface VersionRange {
  /** Inclusive lower bound, dotted numeric (e.g. "2.0.0"). */
  readonly min?: string;
  /** Inclusive upper bound. */
  readonly max?: string;
}

export interface TargetSelector {
  readonly model?: string;
  readonly manufacturer?: string;
  readonly firmwareVersions?: VersionRange;
  /** Devices in any of these groups (`fota devices tag --group`, POST /devices/tags). */
  readonly groups?: readonly string[];
  /** Devices carrying every one of these attributes with exactly this value. */
  readonly attributes?: Readonly<Record<string, string>>;
  readonly endpoints?: readonly string[];
}

/** A cohort by cumulative share of the fleet, or by a number of devices. */
export type CohortSpec = { readonly percent: number } | { readonly count: number };

/** A recurring daily window, "HH:MM" to "HH:MM" (may cross midnight), in the device's time zone. */
export interface TimeWindow {
  readonly start: string;
  readonly end: string;
  /** Used for devices whose time zone is unknown (IANA name). @default "UTC" */
  readonly defaultTimeZone?: string;
}

export interface RolloutRate {
  /** Devices released to download per minute. */
  readonly devicesPerMinute: number;
  /** Multiply the rate by this factor every minute (exponential ramp), up to `maxDevicesPerMinute`. */
  readonly rampFactor?: number;
  readonly maxDevicesPerMinute?: number;
  /** Spread each release over up to this many seconds of random delay. */
  readonly jitterSeconds?: number;
}

export interface RetryRule {
  readonly maxAttempts: number;
  readonly backoffSeconds: number;
}

/** A retry rule per failure reason. */
export type RetryPolicy = Readonly<Partial<Record<FailureReason, RetryRule>>>;

export interface AbortCriteria {
  /** Abort when more than this share of the cohort failed (0..100). */
  readonly failurePercent: number;
  /** ... but only once at least this many devices of the cohort have finished. @default 1 */
  readonly minFinished?: number;
  /** Stricter limits for particular failure reasons, e.g. { "UPDATE_FAILED": 1 }. */
  readonly byReason?: Readonly<Partial<Record<FailureReason, number>>>;
}

export interface CampaignDefinition {
  readonly name: string;
  readonly imageId: string;
  readonly target: TargetSelector;
  /** Cumulative share of the fleet per cohort, canary first, e.g. [1, 10, 100]. */
  readonly cohortPercentages: readonly number[];
  /** Cohorts as percentages or counts; when given, it replaces cohortPercentages. */
  readonly cohorts?: readonly CohortSpec[];
  /** Seconds between monitor polls of a phase (grows when nothing changes, up to maxPollSeconds). */
  readonly pollSeconds: number;
  readonly maxPollSeconds?: number;
  readonly downloadTimeoutSeconds: number;
  readonly installTimeoutSeconds: number;
  /** Abort when more than this share of a cohort failed (0..100); see `abort` for more. */
  readonly abortFailurePercent: number;
  readonly abort?: AbortCriteria;
  /** A cohort passes only when at least this share of it succeeded (0..100). @default 0 */
  readonly successThresholdPercent?: number;
  /** Wait for an operator's approval after each cohort but the last. */
  readonly approvalRequired?: boolean;
  readonly rate?: RolloutRate;
  readonly downloadWindow?: TimeWindow;
  /** Install immediately after download unless an install window is given. */
  readonly installWindow?: TimeWindow;
  /** Per failure reason; reasons not listed are not retried. */
  readonly retry?: RetryPolicy;
  /**
   * Update devices on a higher version than the image, or on one that cannot be ordered against
   * it (else they are SKIPPED `DOWNGRADE_NOT_ALLOWED` / `VERSION_UNORDERED`). Kept in the audit trail.
   */
  readonly allowDowngrade?: boolean;
  /** Start no earlier than this (ISO 8601 with offset): the workflow waits for it before planning. */
  readonly startAt?: string;
  /** Endpoints that form the first cohort (the canary), whatever the cohort sizes say. */
  readonly canaryEndpoints?: readonly string[];
  /** Devices that register or come to match the target later join the last cohort, until `endAt`. */
  readonly dynamic?: boolean;
  /** When a dynamic campaign stops taking devices in (ISO 8601 with offset), at most 7 days after its start. */
  readonly endAt?: string;
  /** How many different people it takes: 2 refuses an approval by the campaign's creator (four eyes). @default 1 */
  readonly approvers?: number;
}

/** An operator's action as applied: the status it found and the status it left. */
export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly previous?: string;
  /** The status the action left (absent in entries written before the lifecycle table). */
  readonly status?: string;
  readonly detail?: string;
}

/**
 * The rollout rate's token bucket for the current phase (core/campaign/rollout.ts): tokens are
 * earned on the campaign's active clock (wall time minus paused time) and spent on releases.
 */
export interface ReleaseBucket {
  /** The phase this bucket belongs to (the workflow's phase start): a new phase starts a new bucket. */
  readonly phaseStartedAt: number;
  /** Active time at the phase start and at the last refill (ms, see `activeTime`). */
  readonly startActiveMs: number;
  readonly activeMs: number;
  readonly tokens: number;
}

export interface Campaign extends CampaignDefinition {
  readonly campaignId: string;
  readonly status: CampaignStatus;
  /** Bumped by every status transition; each transition is conditional on (status, version). Absent means 0. */
  readonly version?: number;
  /** When the current pause began (set while PAUSED). */
  readonly pausedAt?: number;
  /** Paused time of pauses that have ended (ms): paused time earns no release allowance. */
  readonly pausedMs?: number;
  readonly releaseBucket?: ReleaseBucket;
  /** Highest cohort index the operator approved to start. */
  readonly approvedCohort?: number;
  readonly targetVersion: string;
  readonly cohortCount?: number;
  readonly currentCohort?: number;
  readonly phase?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly summary?: CampaignSummary;
  readonly abortReason?: string;
  /** The workflow's wait for the current phase, which the edge ends early when the phase's jobs are done. */
  readonly phaseWaiter?: PhaseWaiter;
  /**
   * When the workflow asked for each cohort's install (the cohort number as a string -> epoch ms):
   * one write per cohort, not one per job. The edge installs a DOWNLOADED job of a cohort listed
   * here while the campaign is RUNNING, inside the device's install window
   * (core/jobs/cohortInstall.ts); a pause withdraws the request, and the first tick after the
   * resume makes it again.
   */
  readonly installRequestedAt?: Readonly<Record<string, number>>;
  /** Why the workflow failed (the Step Functions error and cause of the task that failed). */
  readonly failureCause?: string;
  readonly audit?: readonly AuditEntry[];
  /** Who created it (the caller's identity): with `approvers: 2` this person may not approve it. */
  readonly createdBy?: string;
  /** The campaign this one relaunches or rolls back. */
  readonly derivedFrom?: CampaignLineage;
  /** SHA-256 of the actor, Idempotency-Key and definition a create was asked with (a retry must match it). */
  readonly requestSha256?: string;
}

/** A campaign made from another: the same definition over the devices left to do, or back to their previous images. */
export interface CampaignLineage {
  readonly kind: 'relaunch' | 'rollback';
  readonly campaignId: string;
}

/**
 * A Step Functions task token the workflow waits on while a cohort's phase runs (WaitForDownloads,
 * WaitForInstalls): SendTaskSuccess with it starts the phase's evaluation at once; without it the
 * wait times out after the poll interval, the safety net.
 */
export interface PhaseWaiter {
  readonly taskToken: string;
  readonly cohort: number;
  readonly phase: 'download' | 'install';
  readonly armedAt: number;
}

export interface CampaignSummary {
  readonly devices: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
  readonly failureReasons: Readonly<Record<string, number>>;
}

/** Retried unless the campaign says otherwise: transient faults, never a device's verdict on the package. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  DEVICE_TIMEOUT: { maxAttempts: 3, backoffSeconds: 30 },
  CONNECTION_LOST: { maxAttempts: 3, backoffSeconds: 60 },
  DOWNLOAD_TIMEOUT: { maxAttempts: 2, backoffSeconds: 60 },
  OUT_OF_RAM: { maxAttempts: 2, backoffSeconds: 300 },
};
