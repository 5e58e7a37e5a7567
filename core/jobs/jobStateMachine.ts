/**
 * The per-device firmware job state machine (ARCHITECTURE.md, "Per-device jobs").
 *
 * The states and the transitions allowed between them are one table; every store write checks
 * the expected current state and version, so a duplicate or late event never moves a job back.
 */
import { assertNever, fail, ok, type Result } from '../result.ts';
import { IllegalTransitionError } from './errors.ts';
import type { FailureReason } from './failureReason.ts';

export const JobStatus = {
  Pending: 'PENDING',
  Ready: 'READY',
  Downloading: 'DOWNLOADING',
  Downloaded: 'DOWNLOADED',
  Updating: 'UPDATING',
  Verifying: 'VERIFYING',
  /**
   * The attempt failed; the campaign's retry policy decides what follows (READY again, or FAILED
   * for good) at the workflow's next tick. Not terminal: a job leaves it. FAILED, once written, is
   * never left, so a count of terminal jobs only grows.
   */
  Failing: 'FAILING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Skipped: 'SKIPPED',
  Cancelled: 'CANCELLED',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  JobStatus.Succeeded,
  JobStatus.Failed,
  JobStatus.Skipped,
  JobStatus.Cancelled,
]);

/** Which status each event may start from, and where it leads. */
export const JOB_TRANSITIONS: Readonly<Record<JobEvent['kind'], { from: readonly JobStatus[]; to: JobStatus }>> = {
  scheduled: { from: [JobStatus.Pending], to: JobStatus.Ready },
  skipped: { from: [JobStatus.Pending, JobStatus.Ready], to: JobStatus.Skipped },
  downloadStarted: { from: [JobStatus.Ready], to: JobStatus.Downloading },
  downloaded: { from: [JobStatus.Downloading], to: JobStatus.Downloaded },
  updateStarted: { from: [JobStatus.Downloaded], to: JobStatus.Updating },
  /**
   * Execute Update sent again, to a device that provably never got the first one: a claim on
   * (UPDATING, version) like any transition, so of two tasks (or two steps) only one may send it.
   */
  executeResent: { from: [JobStatus.Updating], to: JobStatus.Updating },
  /** The device postponed the update (Update Result 11) and stays Downloaded; Execute again later. */
  deferred: { from: [JobStatus.Updating], to: JobStatus.Downloaded },
  reregistered: { from: [JobStatus.Updating], to: JobStatus.Verifying },
  verified: { from: [JobStatus.Verifying], to: JobStatus.Succeeded },
  failed: {
    from: [JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded, JobStatus.Updating, JobStatus.Verifying],
    to: JobStatus.Failing,
  },
  /** The retry policy gives up on a failed attempt (or the campaign ends): the job's final verdict. */
  gaveUp: { from: [JobStatus.Failing], to: JobStatus.Failed },
  retry: { from: [JobStatus.Downloading, JobStatus.Downloaded, JobStatus.Failing], to: JobStatus.Ready },
  cancelled: { from: [JobStatus.Pending, JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded], to: JobStatus.Cancelled },
};


export type DeliveryMethod = 'coap-pull' | 'http-pull' | 'push';

export type JobEvent =
  | { readonly kind: 'scheduled'; readonly deadline: number }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'downloadStarted'; readonly delivery: DeliveryMethod; readonly deadline: number }
  | { readonly kind: 'downloaded' }
  | { readonly kind: 'updateStarted'; readonly deadline: number }
  | { readonly kind: 'deferred'; readonly notBefore: number; readonly deferrals: number }
  | { readonly kind: 'reregistered' }
  | { readonly kind: 'verified'; readonly firmwareVersion: string }
  | { readonly kind: 'executeResent'; readonly resends: number }
  /** `reportedVersion`: the firmware version the device reported (/3/0/3) when it told one. */
  | { readonly kind: 'failed'; readonly reason: FailureReason; readonly updateResult?: number; readonly reportedVersion?: string }
  | { readonly kind: 'gaveUp' }
  | { readonly kind: 'retry'; readonly reason: FailureReason; readonly notBefore: number }
  | { readonly kind: 'cancelled'; readonly reason: string };

/** The part of a job the state machine reads. */
export interface JobSnapshot {
  readonly status: JobStatus;
  readonly version: number;
  readonly attempt: number;
}

/** What a legal transition changes: the store writes exactly this, conditioned on `expected`. */
export interface JobChange {
  readonly expected: { readonly status: JobStatus; readonly version: number };
  readonly status: JobStatus;
  readonly version: number;
  readonly attempt: number;
  readonly set: Readonly<Record<string, string | number | null>>;
  /** One entry per event applied, oldest first. */
  readonly history: readonly JobHistoryEntry[];
}

/**
 * One event, or a chain of them that one writer applies at once (the re-registration and the
 * verdict read right after it): each a transition of the table, one version each, written as one
 * conditional write on the first one's expected status and version.
 */
export type JobEvents = JobEvent | readonly [JobEvent, ...JobEvent[]];

/** The events of `events`, in order. */
export function eventsOf(events: JobEvents): readonly [JobEvent, ...JobEvent[]] {
  return isChain(events) ? events : [events];
}

function isChain(events: JobEvents): events is readonly [JobEvent, ...JobEvent[]] {
  return Array.isArray(events);
}

export interface JobHistoryEntry {
  readonly at: number;
  readonly from: JobStatus;
  readonly to: JobStatus;
  readonly event: JobEvent['kind'];
  readonly detail?: string;
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** The attempt is over: terminal, or failed and waiting for the retry policy's verdict. */
export function isAttemptOver(status: JobStatus): boolean {
  return isTerminal(status) || status === JobStatus.Failing;
}

/** Failed, for the campaign's failure counts: for good, or with the retry policy's verdict pending. */
export function isFailure(status: JobStatus): boolean {
  return status === JobStatus.Failed || status === JobStatus.Failing;
}

export function canApply(status: JobStatus, kind: JobEvent['kind']): boolean {
  return JOB_TRANSITIONS[kind].from.includes(status);
}

/**
 * Computes the change a chain of events makes to a job, each event a legal transition from where
 * the one before left it, or refuses the chain at its first illegal transition. Pure.
 */
export function applyJobEvents(job: JobSnapshot, events: JobEvents, now: number): Result<JobChange, IllegalTransitionError> {
  const [first, ...rest] = eventsOf(events);
  const firstChange = applyJobEvent(job, first, now);
  if (!firstChange.success) return firstChange;
  let change = firstChange.data;
  for (const event of rest) {
    const next = applyJobEvent(change, event, now);
    if (!next.success) return next;
    change = { ...next.data, expected: change.expected, set: { ...change.set, ...next.data.set }, history: [...change.history, ...next.data.history] };
  }
  return ok(change);
}

/** Computes the change an event makes to a job, or refuses an illegal transition. Pure. */
export function applyJobEvent(job: JobSnapshot, event: JobEvent, now: number): Result<JobChange, IllegalTransitionError> {
  const rule = JOB_TRANSITIONS[event.kind];
  if (!rule.from.includes(job.status)) {
    return fail(new IllegalTransitionError(job.status, event.kind));
  }
  const attempt = event.kind === 'retry' ? job.attempt + 1 : job.attempt;
  const { set, detail } = eventAttributes(event, now);
  const history: JobHistoryEntry = { at: now, from: job.status, to: rule.to, event: event.kind, ...(detail === undefined ? {} : { detail }) };
  return ok({
    expected: { status: job.status, version: job.version },
    status: rule.to,
    version: job.version + 1,
    attempt,
    set: { ...set, updatedAt: now },
    history: [history],
  });
}

function eventAttributes(event: JobEvent, now: number): { set: Record<string, string | number | null>; detail?: string } {
  switch (event.kind) {
    case 'scheduled':
      return { set: { deadline: event.deadline } };
    case 'skipped':
      return { set: { reason: event.reason, deadline: null }, detail: event.reason };
    case 'downloadStarted':
      return { set: { delivery: event.delivery, deadline: event.deadline }, detail: event.delivery };
    case 'downloaded':
      return { set: {} };
    case 'updateStarted':
      // A new Execute exchange: what an earlier one (before a deferral) ended with no longer counts.
      return { set: { deadline: event.deadline, executeOutcome: null, executeEndedAt: null } };
    case 'executeResent':
      return { set: { executeResends: event.resends, executeResentAt: now, executeOutcome: null, executeEndedAt: null }, detail: `EXECUTE_RESENT ${event.resends}` };
    case 'deferred':
      return { set: { notBefore: event.notBefore, deferrals: event.deferrals }, detail: `DEFERRED ${event.deferrals}` };
    case 'reregistered':
      return { set: {} };
    case 'verified':
      return { set: { reportedVersion: event.firmwareVersion, deadline: null }, detail: event.firmwareVersion };
    case 'failed':
      return {
        set: { reason: event.reason, updateResult: event.updateResult ?? null, ...(event.reportedVersion === undefined ? {} : { reportedVersion: event.reportedVersion }), deadline: null },
        detail: event.reason,
      };
    case 'gaveUp':
      return { set: {} };
    case 'retry':
      return { set: { reason: event.reason, notBefore: event.notBefore, deadline: null }, detail: event.reason };
    case 'cancelled':
      return { set: { reason: event.reason, deadline: null }, detail: event.reason };
    default:
      return assertNever(event);
  }
}
