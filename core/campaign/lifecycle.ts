/**
 * The campaign lifecycle (ARCHITECTURE.md, "The operator's word is final"): the statuses, the
 * operator's actions and the workflow's events, as one table, like the job state machine.
 *
 * An action changes the status when it is accepted (pause -> PAUSED, cancel -> CANCELLING, resume
 * -> RUNNING, approve -> RUNNING); the workflow then acts on the status it reads. Cancel is final:
 * from CANCELLING only the workflow moves on, and every way out leads to CANCELLED (or FAILED when
 * the workflow itself broke). The store writes each change conditioned on (status, version).
 */
import { assertNever, fail, ok, type Result } from '../result.ts';
import { CampaignStatus, FINISHED_CAMPAIGN_STATUSES, type AuditEntry, type Campaign, type CampaignSummary } from './Campaign.ts';
import { IllegalCampaignTransitionError } from './errors.ts';

const S = CampaignStatus;

export const CAMPAIGN_ACTIONS = ['pause', 'resume', 'cancel', 'approve'] as const;
/** What a release manager may ask of a campaign. */
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

/** Operator actions (recorded in the audit trail) and workflow events (not recorded there). */
export type CampaignTrigger =
  | { readonly kind: CampaignAction; readonly actor: string }
  /** Jobs created, cohorts known. */
  | { readonly kind: 'planned'; readonly cohortCount: number; readonly targetVersion: string }
  /** A cohort passed its gate and the next one needs an operator's approval. */
  | { readonly kind: 'awaitingApproval' }
  | { readonly kind: 'completed' | 'aborted' | 'cancelSettled'; readonly summary: CampaignSummary }
  | { readonly kind: 'failed'; readonly summary: CampaignSummary; readonly failureCause: string };

type Transitions = Readonly<Partial<Record<CampaignStatus, CampaignStatus>>>;

/** For each trigger, the statuses it may start from and where each leads. Anything not listed is illegal. */
export const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignTrigger['kind'], Transitions>> = {
  pause: { [S.Created]: S.Paused, [S.Running]: S.Paused },
  resume: { [S.Paused]: S.Running },
  cancel: { [S.Created]: S.Cancelling, [S.Running]: S.Cancelling, [S.Paused]: S.Cancelling, [S.WaitingApproval]: S.Cancelling },
  approve: { [S.WaitingApproval]: S.Running },
  // A campaign paused or cancelled before planning keeps that status; a retried plan finds RUNNING.
  planned: { [S.Created]: S.Running, [S.Running]: S.Running, [S.Paused]: S.Paused, [S.Cancelling]: S.Cancelling },
  // A pause given during the last phase holds at the gate: the campaign waits PAUSED, and waits
  // for approval once resumed (CheckApproval applies this event again from RUNNING).
  awaitingApproval: { [S.Running]: S.WaitingApproval, [S.Paused]: S.Paused },
  completed: { [S.Running]: S.Succeeded, [S.Paused]: S.Succeeded, [S.Cancelling]: S.Cancelled },
  aborted: { [S.Running]: S.Aborted, [S.Paused]: S.Aborted, [S.WaitingApproval]: S.Aborted, [S.Cancelling]: S.Cancelled },
  cancelSettled: { [S.Cancelling]: S.Cancelled },
  failed: { [S.Created]: S.Failed, [S.Running]: S.Failed, [S.Paused]: S.Failed, [S.WaitingApproval]: S.Failed, [S.Cancelling]: S.Failed },
};

/** The part of a campaign the lifecycle reads. */
export type CampaignSnapshot = Pick<Campaign, 'status' | 'version' | 'pausedAt' | 'pausedMs' | 'currentCohort' | 'audit'>;

/** Attributes a transition writes besides status and version. */
export type CampaignFacts = Partial<Pick<Campaign, 'pausedAt' | 'pausedMs' | 'approvedCohort' | 'cohortCount' | 'targetVersion' | 'startedAt' | 'summary' | 'finishedAt' | 'failureCause'>>;

/** What a legal transition changes: the store writes exactly this, conditioned on `expected`. */
export interface CampaignChange {
  readonly expected: { readonly status: CampaignStatus; readonly version: number };
  readonly status: CampaignStatus;
  readonly version: number;
  readonly set: CampaignFacts;
  readonly remove: readonly (keyof CampaignFacts)[];
  /** Present for operator actions: appended to the audit trail in the same write. */
  readonly audit?: AuditEntry;
}

export function isOperatorAction(kind: CampaignTrigger['kind']): kind is CampaignAction {
  return (CAMPAIGN_ACTIONS as readonly string[]).includes(kind);
}

/** CANCELLING or CANCELLED: the workflow winds down, whatever it was doing. */
export function isCancelled(status: CampaignStatus): boolean {
  return status === S.Cancelling || status === S.Cancelled;
}

/** Paused time up to `now`: ended pauses plus the current one. */
export function pausedTime(campaign: Pick<Campaign, 'status' | 'pausedAt' | 'pausedMs'>, now: number): number {
  const current = campaign.status === S.Paused && campaign.pausedAt !== undefined ? Math.max(0, now - campaign.pausedAt) : 0;
  return (campaign.pausedMs ?? 0) + current;
}

/** The campaign's active clock: wall time minus paused time. It stands still while the campaign is paused. */
export function activeTime(campaign: Pick<Campaign, 'status' | 'pausedAt' | 'pausedMs'>, now: number): number {
  return now - pausedTime(campaign, now);
}

/** Computes the change a trigger makes to a campaign, or refuses it with a reason stated from the status found. Pure. */
export function applyCampaignTrigger(campaign: CampaignSnapshot, trigger: CampaignTrigger, now: number): Result<CampaignChange, IllegalCampaignTransitionError> {
  const from = campaign.status;
  const to = CAMPAIGN_TRANSITIONS[trigger.kind][from];
  if (to === undefined) return fail(new IllegalCampaignTransitionError(from, trigger.kind, refusal(trigger.kind, from)));
  const version = campaign.version ?? 0;
  const set: Record<string, unknown> = { ...triggerFacts(campaign, trigger, now) };
  const remove: (keyof CampaignFacts)[] = [];
  if (to === S.Paused && from !== S.Paused) set['pausedAt'] = now;
  if (from === S.Paused && to !== S.Paused) {
    set['pausedMs'] = pausedTime(campaign, now);
    remove.push('pausedAt');
  }
  const change: CampaignChange = { expected: { status: from, version }, status: to, version: version + 1, set: set as CampaignFacts, remove };
  if (!isOperatorAction(trigger.kind) || !('actor' in trigger)) return ok(change);
  // Entries are appended in write order; `at` never goes back, whatever the clocks of concurrent callers.
  const at = Math.max(now, campaign.audit?.at(-1)?.at ?? 0);
  const detail = trigger.kind === 'approve' ? `cohort ${String(set['approvedCohort'])}` : undefined;
  return ok({ ...change, audit: { at, actor: trigger.actor, action: trigger.kind, previous: from, status: to, ...(detail === undefined ? {} : { detail }) } });
}

function triggerFacts(campaign: CampaignSnapshot, trigger: CampaignTrigger, now: number): CampaignFacts {
  switch (trigger.kind) {
    case 'pause':
    case 'resume':
    case 'cancel':
    case 'awaitingApproval':
      return {};
    case 'approve':
      return { approvedCohort: (campaign.currentCohort ?? 0) + 1 };
    case 'planned':
      return { cohortCount: trigger.cohortCount, targetVersion: trigger.targetVersion, startedAt: now };
    case 'completed':
    case 'aborted':
    case 'cancelSettled':
      return { summary: trigger.summary, finishedAt: now };
    case 'failed':
      return { summary: trigger.summary, finishedAt: now, failureCause: trigger.failureCause };
    default:
      return assertNever(trigger);
  }
}

/** Why a trigger is refused, in the words of the status the caller saw. */
function refusal(kind: CampaignTrigger['kind'], from: CampaignStatus): string {
  const verb = isOperatorAction(kind) ? kind : `take the workflow event '${kind}' on`;
  if (isCancelled(from)) return `cannot ${verb} a campaign that is ${from}: cancel is final`;
  if (FINISHED_CAMPAIGN_STATUSES.has(from)) return `cannot ${verb} a campaign that is ${from}: it has ended`;
  if (kind === 'pause' && from === S.Paused) return 'cannot pause a campaign that is PAUSED: it is already paused';
  const allowed = Object.keys(CAMPAIGN_TRANSITIONS[kind]).join(', ');
  return `cannot ${verb} a campaign that is ${from}: only from ${allowed}`;
}
