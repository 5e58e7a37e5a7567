/**
 * The job store's role (ARCHITECTURE.md, "Per-device jobs"): what the edge and the workflow do to
 * per-device jobs, implemented by store/DynamoDbJobStore.ts. A status change is a `transition`
 * of core/jobs/jobStateMachine.ts's table; every other write is one of the named operations below.
 * All writes are conditional on the job as the caller read it (its version, and so its status):
 * of two writers holding the same job, only the first lands; the other gets `false` (or a
 * StaleJobError) and reads the job again.
 */
import type { FirmwareJob, JobProgress, JobRef } from '../jobs/FirmwareJob.ts';
import type { IllegalTransitionError, StaleJobError } from '../jobs/errors.ts';
import type { DeliveryMethod, JobEvents } from '../jobs/jobStateMachine.ts';
import type { Result } from '../result.ts';

export type TransitionError = IllegalTransitionError | StaleJobError;

/**
 * Attributes a transition writes besides the state machine's own: the owner and the new Package URI
 * token of a retried or scheduled job, the device's Last State Change Time and Update Result as
 * read with the news that moved it.
 */
export type TransitionExtras = Partial<Pick<FirmwareJob, 'ownerTask' | 'downloadToken' | 'packageSecret' | 'deadline' | 'notBefore' | 'lastStateChangeTime' | 'updateResult'>>;

/** How an Execute Update exchange ended: answered by the device, or every retransmission unanswered. */
export type ExecuteOutcome = NonNullable<FirmwareJob['executeOutcome']>;

/** A job's key. */
export type JobKey = Pick<FirmwareJob, 'campaignId' | 'jobKey'>;

/**
 * What an owner's listing gives of each job it owns: its key and what the job's other writers
 * (the workflow) change while the task owns it; the task reads the job itself again when one of
 * them differs from the copy it holds (store/schema.ts, JOBS_BY_OWNER_ATTRIBUTES).
 */
export type OwnedJobEntry = JobKey & Pick<FirmwareJob, 'attempt' | 'cancelRequested'>;

/** Per-device jobs. Every write is conditional on the job's version as read. */
export interface JobStore {
  createJobs(jobs: readonly FirmwareJob[]): Promise<void>;
  get(campaignId: string, jobKey: string): Promise<FirmwareJob | undefined>;
  /** One event, or a chain of them written as one conditional write (core/jobs/jobStateMachine.ts#applyJobEvents). */
  transition(job: JobRef, events: JobEvents, now: number, extra?: TransitionExtras): Promise<Result<FirmwareJob, TransitionError>>;
  /**
   * The job is driven by edge task `ownerTask` from now: the task that last heard from its device
   * (the only one that can reach it through the NLB). False when the job changed meanwhile.
   */
  claim(job: FirmwareJob, ownerTask: string): Promise<boolean>;
  /** A cancelled campaign asks the owning edge to reset the device of a DOWNLOADING or DOWNLOADED job. */
  requestCancel(job: FirmwareJob, at: number): Promise<boolean>;
  /** A DOWNLOADING job's package went out by another delivery than the one its start recorded. */
  recordDelivery(job: FirmwareJob, delivery: DeliveryMethod): Promise<boolean>;
  /** How the Execute Update of an UPDATING job ended, and when (what a resend decision rests on). */
  recordExecuteOutcome(job: FirmwareJob, outcome: ExecuteOutcome, at: number): Promise<boolean>;
  listCohort(campaignId: string, cohort: number): Promise<FirmwareJob[]>;
  /** The cohort's jobs without their history (what the workflow's monitor reads at every tick), eventually consistent. */
  listCohortProgress(campaignId: string, cohort: number): Promise<JobProgress[]>;
  listCampaign(campaignId: string): Promise<FirmwareJob[]>;
  listForEndpoint(endpoint: string): Promise<FirmwareJob[]>;
  /** The jobs a task owns (those not ended), as its listing holds them. */
  listOwned(ownerTask: string): Promise<OwnedJobEntry[]>;
  /** The jobs of `keys`, read consistently; a job that no longer exists is left out. */
  getMany(keys: readonly JobKey[]): Promise<FirmwareJob[]>;
  /** The job a Package URI token opens (core/jobs/packageToken.ts), read consistently; undefined for a token of no current attempt. */
  findByToken(token: string): Promise<FirmwareJob | undefined>;
}

/** The reads of a job store, forwarded as they are: for wrappers that change only its writes. */
export type JobStoreReads = Pick<JobStore, 'listCohort' | 'listCohortProgress' | 'listCampaign' | 'listForEndpoint' | 'listOwned' | 'getMany' | 'findByToken'>;

export function forwardedReads(inner: JobStore): JobStoreReads {
  return {
    listCohort: (campaignId, cohort) => inner.listCohort(campaignId, cohort),
    listCohortProgress: (campaignId, cohort) => inner.listCohortProgress(campaignId, cohort),
    listCampaign: (campaignId) => inner.listCampaign(campaignId),
    listForEndpoint: (endpoint) => inner.listForEndpoint(endpoint),
    listOwned: (ownerTask) => inner.listOwned(ownerTask),
    getMany: (keys) => inner.getMany(keys),
    findByToken: (token) => inner.findByToken(token),
  };
}
