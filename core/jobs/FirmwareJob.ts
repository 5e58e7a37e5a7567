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
  /** The firmware version the device reported when the campaign planned it: where a rollback takes it back to. */
  readonly previousVersion?: string;
  /** The device's model (`/3/0/1`) when the campaign planned it. */
  readonly model?: string;
  /**
   * The per-attempt secret of a keyed Package URI token (core/jobs/packageToken.ts): a device can
   * fetch only the image of its own job's current attempt.
   */
  readonly packageSecret?: string;
  /**
   * A Package URI token found through the byToken index: only on a job whose key is too long to
   * ride in its token (core/jobs/packageToken.ts), and on jobs planned before keyed tokens.
   */
  readonly downloadToken?: string;
  /** The edge task that drives the job (ARCHITECTURE.md, "Reaching devices"); removed when the job ends. */
  readonly ownerTask?: string;
  /** Set by a campaign cancel: the owning edge resets the device and cancels the job. */
  readonly cancelRequested?: boolean;
  readonly cancelRequestedAt?: number;
  readonly delivery?: DeliveryMethod;
  readonly deadline?: number;
  readonly reason?: string;
  readonly updateResult?: number;
  readonly reportedVersion?: string;
  /** Not before this time (epoch ms): the backoff of a retry, or the wait after a deferral. */
  readonly notBefore?: number;
  /** Object 5 v1.1 Severity (/5/0/11) written before the download: 0 critical, 1 mandatory, 2 optional. */
  readonly severity?: number;
  /** Object 5 v1.1 Maximum Defer Period (/5/0/13) in seconds, written before the download. */
  readonly maxDeferPeriodSeconds?: number;
  /** How many times the device deferred the update (Update Result 11). */
  readonly deferrals?: number;
  /** Execute Update sent again because the device still sat in Downloaded (the first one never arrived). */
  readonly executeResends?: number;
  /** When Execute Update was last sent again (epoch ms). */
  readonly executeResentAt?: number;
  /**
   * How the last Execute Update exchange ended, when that matters: 'noAnswer' (every
   * retransmission went unanswered: it may be sent again once a read shows the device never got
   * it). Absent while an exchange is in flight, once the device answered it, or when its end went
   * unrecorded: never sent again. 'accepted' (answered) is what versions before December 2026
   * recorded for an answered exchange; it means what absent means.
   */
  readonly executeOutcome?: 'accepted' | 'noAnswer';
  /** When that exchange ended (epoch ms). */
  readonly executeEndedAt?: number;
  /** The device's Last State Change Time (/5/0/12), epoch ms, where it has the resource. */
  readonly lastStateChangeTime?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly history: readonly JobHistoryEntry[];
}

/**
 * What a conditional write to a job needs of it: its key, its device and cohort, and the status,
 * version and attempt it was read at (core/ports/JobStore.ts).
 */
export type JobRef = Pick<FirmwareJob, 'campaignId' | 'jobKey' | 'endpoint' | 'cohort' | 'status' | 'version' | 'attempt'>;

/**
 * The attributes the workflow's monitor reads of every job of a cohort at each tick: a job without
 * its history (which grows with every transition and is most of the item), enough to tally it,
 * apply its deadline and release it.
 */
export const JOB_PROGRESS_ATTRIBUTES = [
  'campaignId',
  'jobKey',
  'endpoint',
  'cohort',
  'status',
  'version',
  'attempt',
  'reason',
  'deadline',
  'notBefore',
  'updatedAt',
] as const satisfies readonly (keyof FirmwareJob)[];

/** A job as the monitor reads it: JOB_PROGRESS_ATTRIBUTES. */
export type JobProgress = Pick<FirmwareJob, (typeof JOB_PROGRESS_ATTRIBUTES)[number]>;

/** A job as the API and reports show it: the Package URI token opens the image, and is the device's alone. */
export type FirmwareJobView = Omit<FirmwareJob, 'downloadToken' | 'packageSecret'>;

export function jobView(job: FirmwareJob): FirmwareJobView {
  const view: { -readonly [K in keyof FirmwareJob]?: FirmwareJob[K] } = { ...job };
  delete view.downloadToken;
  delete view.packageSecret;
  return view as FirmwareJobView;
}

export function jobKeyFor(cohort: number, endpoint: string): string {
  return `${String(cohort).padStart(4, '0')}#${endpoint}`;
}

export function cohortPrefix(cohort: number): string {
  return `${String(cohort).padStart(4, '0')}#`;
}
