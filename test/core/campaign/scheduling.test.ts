import { describe, expect, it } from 'vitest';
import { startTimeWaiting } from '../../../core/campaign/scheduling.ts';

const startAt = '2026-12-24T22:00:00Z';
const before = Date.parse(startAt) - 1000;

describe('startTimeWaiting', () => {
  it('says a CREATED campaign waits for its start time until it comes', () => {
    expect(startTimeWaiting({ status: 'CREATED', startAt }, before)).toEqual({ reason: 'START_TIME', until: startAt });
    expect(startTimeWaiting({ status: 'CREATED', startAt }, Date.parse(startAt))).toBeUndefined();
  });

  it('says so of a campaign paused before its start time too', () => {
    expect(startTimeWaiting({ status: 'PAUSED', startAt }, before)?.reason).toBe('START_TIME');
  });

  it('says nothing once the campaign was planned, was cancelled, or has no start time', () => {
    expect(startTimeWaiting({ status: 'RUNNING', startAt, startedAt: before }, before)).toBeUndefined();
    expect(startTimeWaiting({ status: 'CANCELLING', startAt }, before)).toBeUndefined();
    expect(startTimeWaiting({ status: 'CREATED' }, before)).toBeUndefined();
  });
});
