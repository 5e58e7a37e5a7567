import { describe, expect, it } from 'vitest';
import { JOB_TRANSITIONS, JobStatus, applyJobEvent, applyJobEvents, canApply, isTerminal, type JobEvent } from '../../core/jobs/jobStateMachine.ts';
import { IllegalTransitionError } from '../../core/jobs/errors.ts';

const job = (status: JobStatus, version = 3, attempt = 0) => ({ status, version, attempt });
const NOW = 1_700_000_000_000;

describe('job state machine', () => {
  it('walks the happy path from PENDING to SUCCEEDED, one version per step', () => {
    const events: JobEvent[] = [
      { kind: 'scheduled', deadline: NOW + 1000 },
      { kind: 'downloadStarted', delivery: 'coap-pull', deadline: NOW + 1000 },
      { kind: 'downloaded' },
      { kind: 'updateStarted', deadline: NOW + 2000 },
      { kind: 'reregistered' },
      { kind: 'verified', firmwareVersion: '2.1.0' },
    ];
    let current = job(JobStatus.Pending, 0);
    const visited: string[] = [];
    for (const event of events) {
      const change = applyJobEvent(current, event, NOW);
      if (!change.success) throw change.error;
      expect(change.data.expected).toEqual({ status: current.status, version: current.version });
      current = { status: change.data.status, version: change.data.version, attempt: change.data.attempt };
      visited.push(current.status);
    }
    expect(visited).toEqual(['READY', 'DOWNLOADING', 'DOWNLOADED', 'UPDATING', 'VERIFYING', 'SUCCEEDED']);
    expect(current.version).toBe(6);
  });

  it('refuses to move a succeeded job back to downloading', () => {
    const change = applyJobEvent(job(JobStatus.Succeeded), { kind: 'downloadStarted', delivery: 'coap-pull', deadline: NOW }, NOW);
    expect(change.success).toBe(false);
    if (!change.success) {
      expect(change.error).toBeInstanceOf(IllegalTransitionError);
      expect(change.error.name).toBe('IllegalTransitionError');
      expect(change.error.message).toContain('SUCCEEDED');
    }
  });

  it('never interrupts an updating device with a cancel', () => {
    expect(applyJobEvent(job(JobStatus.Updating), { kind: 'cancelled', reason: 'operator' }, NOW).success).toBe(false);
    expect(applyJobEvent(job(JobStatus.Downloading), { kind: 'cancelled', reason: 'operator' }, NOW).success).toBe(true);
  });

  it('counts an attempt when a job is retried and records the backoff', () => {
    const change = applyJobEvent(job(JobStatus.Downloading, 5, 1), { kind: 'retry', reason: 'DEVICE_TIMEOUT', notBefore: NOW + 4000 }, NOW);
    expect(change.success && change.data.status).toBe(JobStatus.Ready);
    expect(change.success && change.data.attempt).toBe(2);
    expect(change.success && change.data.set['notBefore']).toBe(NOW + 4000);
  });

  it('records the failure reason and Update Result, and clears the deadline', () => {
    const change = applyJobEvent(job(JobStatus.Downloading), { kind: 'failed', reason: 'INTEGRITY_CHECK_FAILURE', updateResult: 5 }, NOW);
    expect(change.success).toBe(true);
    if (change.success) {
      expect(change.data.set).toMatchObject({ reason: 'INTEGRITY_CHECK_FAILURE', updateResult: 5, deadline: null });
      expect(change.data.history).toEqual([{ at: NOW, from: 'DOWNLOADING', to: 'FAILING', event: 'failed', detail: 'INTEGRITY_CHECK_FAILURE' }]);
    }
  });

  it('returns a deferred update to DOWNLOADED with the time of the next Execute and the deferral count', () => {
    const change = applyJobEvent(job(JobStatus.Updating), { kind: 'deferred', notBefore: NOW + 60_000, deferrals: 2 }, NOW);
    expect(change.success && change.data.status).toBe(JobStatus.Downloaded);
    expect(change.success && change.data.set).toMatchObject({ notBefore: NOW + 60_000, deferrals: 2 });
    expect(applyJobEvent(job(JobStatus.Downloaded), { kind: 'deferred', notBefore: NOW, deferrals: 1 }, NOW).success).toBe(false);
  });

  it('claims a resent Execute Update as a transition of its own: UPDATING to UPDATING, one version up, the count and time recorded', () => {
    const change = applyJobEvent(job(JobStatus.Updating, 7), { kind: 'executeResent', resends: 2 }, NOW);
    expect(change.success && change.data).toMatchObject({ expected: { status: 'UPDATING', version: 7 }, status: 'UPDATING', version: 8 });
    expect(change.success && change.data.set).toMatchObject({ executeResends: 2, executeResentAt: NOW, executeOutcome: null, executeEndedAt: null });
  });

  it('forgets how an earlier Execute exchange ended when a new install starts', () => {
    const change = applyJobEvent(job(JobStatus.Downloaded), { kind: 'updateStarted', deadline: NOW + 1 }, NOW);
    expect(change.success && change.data.set).toMatchObject({ executeOutcome: null, executeEndedAt: null });
  });

  it('folds a chain of events into one change on the first one\'s expected status and version, one version and one history entry per event', () => {
    const change = applyJobEvents(job(JobStatus.Updating, 4), [{ kind: 'reregistered' }, { kind: 'verified', firmwareVersion: '2.1.0' }], NOW);

    if (!change.success) throw change.error;
    expect(change.data).toMatchObject({ expected: { status: JobStatus.Updating, version: 4 }, status: JobStatus.Succeeded, version: 6 });
    expect(change.data.set).toMatchObject({ reportedVersion: '2.1.0', deadline: null, updatedAt: NOW });
    expect(change.data.history.map((entry) => [entry.from, entry.to, entry.event])).toEqual([
      [JobStatus.Updating, JobStatus.Verifying, 'reregistered'],
      [JobStatus.Verifying, JobStatus.Succeeded, 'verified'],
    ]);
  });

  it('refuses a chain with an illegal transition anywhere in it', () => {
    const change = applyJobEvents(job(JobStatus.Updating), [{ kind: 'reregistered' }, { kind: 'downloaded' }], NOW);

    expect(change).toMatchObject({ success: false, error: expect.any(IllegalTransitionError) });
  });

  it('records the version a failed device reported', () => {
    const change = applyJobEvent(job(JobStatus.Verifying), { kind: 'failed', reason: 'VERSION_MISMATCH', reportedVersion: '3.14.0' }, NOW);
    expect(change.success && change.data.set).toMatchObject({ reason: 'VERSION_MISMATCH', reportedVersion: '3.14.0' });
  });

  it('allows no event at all out of a terminal status: SUCCEEDED, FAILED, SKIPPED or CANCELLED', () => {
    for (const status of [JobStatus.Succeeded, JobStatus.Failed, JobStatus.Skipped, JobStatus.Cancelled]) {
      for (const kind of Object.keys(JOB_TRANSITIONS) as JobEvent['kind'][]) {
        expect(canApply(status, kind), `${status} + ${kind}`).toBe(false);
      }
    }
  });

  it('records a failure as FAILING, which the retry policy then ends in READY or FAILED', () => {
    const failing = applyJobEvent(job(JobStatus.Downloading), { kind: 'failed', reason: 'DEVICE_TIMEOUT' }, NOW);
    expect(failing.success && failing.data.status).toBe(JobStatus.Failing);
    expect(isTerminal(JobStatus.Failing)).toBe(false);
    const retried = applyJobEvent(job(JobStatus.Failing, 4), { kind: 'retry', reason: 'DEVICE_TIMEOUT', notBefore: NOW + 30_000 }, NOW);
    expect(retried.success && [retried.data.status, retried.data.attempt]).toEqual([JobStatus.Ready, 1]);
    const final = applyJobEvent(job(JobStatus.Failing, 4), { kind: 'gaveUp' }, NOW);
    expect(final.success && final.data.status).toBe(JobStatus.Failed);
  });

  it('never moves a job from a terminal status to one that is not, whatever the sequence of events', () => {
    const kinds = Object.keys(JOB_TRANSITIONS) as JobEvent['kind'][];
    for (const status of Object.values(JobStatus).filter(isTerminal)) {
      for (const kind of kinds) {
        const rule = JOB_TRANSITIONS[kind];
        expect(rule.from.includes(status) && !isTerminal(rule.to), `${status} + ${kind} -> ${rule.to}`).toBe(false);
      }
    }
  });

  it('calls exactly the four end states terminal', () => {
    const terminal = Object.values(JobStatus).filter(isTerminal);
    expect(terminal.sort()).toEqual(['CANCELLED', 'FAILED', 'SKIPPED', 'SUCCEEDED']);
  });

  it('refuses every event from a status the table does not list for it', () => {
    let refused = 0;
    for (const status of Object.values(JobStatus)) {
      for (const [kind, rule] of Object.entries(JOB_TRANSITIONS)) {
        if (rule.from.includes(status)) continue;
        const sample: Record<string, JobEvent> = {
          scheduled: { kind: 'scheduled', deadline: 1 },
          skipped: { kind: 'skipped', reason: 'x' },
          downloadStarted: { kind: 'downloadStarted', delivery: 'push', deadline: 1 },
          downloaded: { kind: 'downloaded' },
          updateStarted: { kind: 'updateStarted', deadline: 1 },
          executeResent: { kind: 'executeResent', resends: 1 },
          deferred: { kind: 'deferred', notBefore: 1, deferrals: 1 },
          reregistered: { kind: 'reregistered' },
          verified: { kind: 'verified', firmwareVersion: '1' },
          failed: { kind: 'failed', reason: 'DEVICE_TIMEOUT' },
          gaveUp: { kind: 'gaveUp' },
          retry: { kind: 'retry', reason: 'DEVICE_TIMEOUT', notBefore: 1 },
          cancelled: { kind: 'cancelled', reason: 'x' },
        };
        expect(applyJobEvent(job(status), sample[kind] as JobEvent, NOW).success).toBe(false);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(50);
  });
});
