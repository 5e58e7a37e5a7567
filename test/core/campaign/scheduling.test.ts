import { describe, expect, it } from 'vitest';
import { campaignWaiting, describeWaiting, startTimeWaiting } from '../../../core/campaign/scheduling.ts';

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

describe('campaignWaiting', () => {
  const at = Date.parse('2026-12-07T12:30:20Z');
  const window = { start: '22:00', end: '02:00', defaultTimeZone: 'Asia/Tokyo' };

  it('names the approval a campaign waits for, with the cohort to approve', () => {
    expect(campaignWaiting({ status: 'WAITING_APPROVAL', currentCohort: 0, phase: 'install' }, at)).toEqual({ reason: 'APPROVAL', cohort: 1 });
  });

  it('names a closed window of the current phase and its next opening in the window zone', () => {
    // 12:30 UTC is 21:30 in Tokyo: the 22:00 window opens in 30 minutes (to the minute).
    expect(campaignWaiting({ status: 'RUNNING', phase: 'download', downloadWindow: window }, at)).toEqual({ reason: 'WINDOW', window: 'download', opensAt: '2026-12-07T13:00:00.000Z', timeZone: 'Asia/Tokyo' });
    // 13:30 UTC is 22:30 in Tokyo: open, nothing to wait for; the install window is not the current phase's.
    expect(campaignWaiting({ status: 'RUNNING', phase: 'download', downloadWindow: window }, at + 3_600_000)).toBeUndefined();
    expect(campaignWaiting({ status: 'RUNNING', phase: 'download', installWindow: window }, at)).toBeUndefined();
    // A window that opened a minute ago opens next tomorrow.
    expect(campaignWaiting({ status: 'RUNNING', phase: 'install', installWindow: { start: '12:29', end: '12:30' } }, at)).toMatchObject({ opensAt: '2026-12-08T12:29:00.000Z', timeZone: 'UTC' });
  });

  it('says nothing of a campaign that is not held: paused, ended, or running without windows', () => {
    expect(campaignWaiting({ status: 'PAUSED', phase: 'download', downloadWindow: window }, at)).toBeUndefined();
    expect(campaignWaiting({ status: 'SUCCEEDED' }, at)).toBeUndefined();
    expect(campaignWaiting({ status: 'RUNNING', phase: 'download' }, at)).toBeUndefined();
  });

  it('reads as a sentence', () => {
    expect(describeWaiting({ reason: 'APPROVAL', cohort: 2 })).toBe('waiting for approval of cohort 2 (fota campaigns approve)');
    expect(describeWaiting({ reason: 'WINDOW', window: 'install', opensAt: '2026-12-07T13:00:00.000Z', timeZone: 'Asia/Tokyo' })).toContain('waiting for the install window, opens 2026-12-07T13:00:00.000Z (Asia/Tokyo');
    expect(describeWaiting({ reason: 'START_TIME', until: '2026-12-24T22:00:00Z' })).toBe('waiting for its start time: 2026-12-24T22:00:00Z');
  });
});
