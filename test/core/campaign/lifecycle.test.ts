import { describe, expect, it } from 'vitest';
import { CampaignStatus } from '../../../core/campaign/Campaign.ts';
import { activeTime, applyCampaignTrigger, CAMPAIGN_TRANSITIONS, type CampaignSnapshot, type CampaignTrigger } from '../../../core/campaign/lifecycle.ts';

const summary = { devices: 1, succeeded: 1, failed: 0, skipped: 0, cancelled: 0, failureReasons: {} };
const TRIGGERS: readonly CampaignTrigger[] = [
  { kind: 'pause', actor: 'alice' },
  { kind: 'resume', actor: 'alice' },
  { kind: 'cancel', actor: 'alice' },
  { kind: 'approve', actor: 'alice' },
  { kind: 'planned', cohortCount: 2, targetVersion: '2.0.0' },
  { kind: 'awaitingApproval' },
  { kind: 'completed', summary },
  { kind: 'aborted', summary },
  { kind: 'cancelSettled', summary },
  { kind: 'failed', summary, failureCause: 'States.Timeout' },
];

const _ = undefined;
/**
 * The lifecycle written out independently of the implementation: one row per status, one column
 * per trigger in TRIGGERS' order (pause, resume, cancel, approve, planned, awaitingApproval,
 * completed, aborted, cancelSettled, failed); `_` is refused.
 */
const EXPECTED: Record<CampaignStatus, readonly (CampaignStatus | undefined)[]> = {
  CREATED: ['PAUSED', _, 'CANCELLING', _, 'RUNNING', _, _, _, _, 'FAILED'],
  RUNNING: ['PAUSED', _, 'CANCELLING', _, 'RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'ABORTED', _, 'FAILED'],
  PAUSED: [_, 'RUNNING', 'CANCELLING', _, 'PAUSED', 'PAUSED', 'SUCCEEDED', 'ABORTED', _, 'FAILED'],
  WAITING_APPROVAL: [_, _, 'CANCELLING', 'RUNNING', _, _, _, 'ABORTED', _, 'FAILED'],
  CANCELLING: [_, _, _, _, 'CANCELLING', _, 'CANCELLED', 'CANCELLED', 'CANCELLED', 'FAILED'],
  SUCCEEDED: [_, _, _, _, _, _, _, _, _, _],
  FAILED: [_, _, _, _, _, _, _, _, _, _],
  ABORTED: [_, _, _, _, _, _, _, _, _, _],
  CANCELLED: [_, _, _, _, _, _, _, _, _, _],
};

const at = (status: CampaignStatus, more: Partial<CampaignSnapshot> = {}): CampaignSnapshot => ({ status, version: 7, ...more });

describe('campaign lifecycle table', () => {
  const cases = Object.entries(EXPECTED).flatMap(([from, row]) => TRIGGERS.map((trigger, i) => ({ from: from as CampaignStatus, trigger, to: row[i] })));

  it.each(cases.filter((c) => c.to !== undefined))('takes $trigger.kind from $from to $to, one version up, conditioned on what it saw', ({ from, trigger, to }) => {
    const result = applyCampaignTrigger(at(from), trigger, 1000);
    expect(result.success && result.data).toMatchObject({ expected: { status: from, version: 7 }, status: to, version: 8 });
  });

  it.each(cases.filter((c) => c.to === undefined))('refuses $trigger.kind from $from, naming the status it saw', ({ from, trigger }) => {
    const result = applyCampaignTrigger(at(from), trigger, 1000);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error).toMatchObject({ name: 'IllegalCampaignTransitionError', from, trigger: trigger.kind, message: expect.stringContaining(`that is ${from}`) });
  });

  it('has no transition the written-out table does not have', () => {
    for (const [kind, transitions] of Object.entries(CAMPAIGN_TRANSITIONS)) {
      const column = TRIGGERS.findIndex((t) => t.kind === kind);
      for (const [from, to] of Object.entries(transitions)) expect(EXPECTED[from as CampaignStatus][column], `${kind} from ${from}`).toBe(to);
    }
  });
});

describe('campaign lifecycle changes', () => {
  it('records an action in the audit trail with the status it found and the status it left', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Running), { kind: 'cancel', actor: 'alice' }, 5000);
    expect(result.success && result.data.audit).toEqual({ at: 5000, actor: 'alice', action: 'cancel', previous: 'RUNNING', status: 'CANCELLING' });
  });

  it('records no audit entry for a workflow event', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Running), { kind: 'awaitingApproval' }, 5000);
    expect(result.success && result.data.audit).toBeUndefined();
  });

  it('never dates an audit entry before the entry it follows, whatever the caller\'s clock', () => {
    const audit = [{ at: 9000, actor: 'bob', action: 'pause', previous: 'RUNNING', status: 'PAUSED' }];
    const result = applyCampaignTrigger(at(CampaignStatus.Paused, { audit, pausedAt: 9000 }), { kind: 'resume', actor: 'alice' }, 8000);
    expect(result.success && result.data.audit?.at).toBe(9000);
  });

  it('approves the cohort after the current one', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.WaitingApproval, { currentCohort: 2 }), { kind: 'approve', actor: 'alice' }, 1);
    expect(result.success && result.data.set).toEqual({ approvedCohort: 3 });
  });

  it('starts a pause clock when pausing', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Running), { kind: 'pause', actor: 'alice' }, 10_000);
    expect(result.success && result.data).toMatchObject({ set: { pausedAt: 10_000 }, remove: [] });
  });

  it('adds the pause to the paused time and ends the pause clock on resume', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Paused, { pausedAt: 10_000, pausedMs: 500 }), { kind: 'resume', actor: 'alice' }, 70_000);
    expect(result.success && result.data).toMatchObject({ set: { pausedMs: 60_500 }, remove: ['pausedAt'] });
  });

  it('ends the pause clock when a paused campaign is cancelled', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Paused, { pausedAt: 10_000 }), { kind: 'cancel', actor: 'alice' }, 20_000);
    expect(result.success && result.data).toMatchObject({ status: 'CANCELLING', set: { pausedMs: 10_000 }, remove: ['pausedAt'] });
  });

  it('keeps the pause clock running through a workflow event that leaves the campaign paused', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Paused, { pausedAt: 10_000 }), { kind: 'awaitingApproval' }, 20_000);
    expect(result.success && result.data).toMatchObject({ status: 'PAUSED', set: {}, remove: [] });
  });

  it('treats a campaign stored before the version counter as version 0', () => {
    const result = applyCampaignTrigger({ status: CampaignStatus.Running }, { kind: 'pause', actor: 'alice' }, 1);
    expect(result.success && result.data).toMatchObject({ expected: { version: 0 }, version: 1 });
  });

  it('says a refused resume is refused because of the status seen, never "not paused" of a paused campaign', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Running), { kind: 'resume', actor: 'alice' }, 1);
    expect(!result.success && result.error.message).toBe('cannot resume a campaign that is RUNNING: only from PAUSED');
  });

  it('says cancel is final when an action follows a cancel', () => {
    const result = applyCampaignTrigger(at(CampaignStatus.Cancelling), { kind: 'resume', actor: 'alice' }, 1);
    expect(!result.success && result.error.message).toBe('cannot resume a campaign that is CANCELLING: cancel is final');
  });

  it('stops the active clock while paused and counts only ended pauses after', () => {
    expect(activeTime({ status: CampaignStatus.Paused, pausedAt: 10_000, pausedMs: 1000 }, 70_000)).toBe(10_000 - 1000);
    expect(activeTime({ status: CampaignStatus.Running, pausedMs: 61_000 }, 100_000)).toBe(39_000);
  });
});
