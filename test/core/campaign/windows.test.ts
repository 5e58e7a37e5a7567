import { describe, expect, it } from 'vitest';
import { isWithinWindow, localMinuteOfDay, validateTimeWindow, windowOpenedAt, InvalidTimeWindowError } from '../../../core/campaign/windows.ts';

const at = (iso: string) => Date.parse(iso);

describe('time windows in device local time', () => {
  const night = { start: '02:00', end: '05:00' };

  it('opens at the start minute and closes at the end minute, in UTC by default', () => {
    expect(isWithinWindow(night, at('2026-11-25T01:59:00Z'))).toBe(false);
    expect(isWithinWindow(night, at('2026-11-25T02:00:00Z'))).toBe(true);
    expect(isWithinWindow(night, at('2026-11-25T04:59:00Z'))).toBe(true);
    expect(isWithinWindow(night, at('2026-11-25T05:00:00Z'))).toBe(false);
  });

  it("evaluates the window in the device's IANA time zone, daylight saving included", () => {
    // 01:30 UTC is 02:30 in Paris in winter (UTC+1) and 03:30 in summer (UTC+2).
    expect(isWithinWindow(night, at('2026-01-15T01:30:00Z'), 'Europe/Paris')).toBe(true);
    expect(isWithinWindow(night, at('2026-01-15T00:30:00Z'), 'Europe/Paris')).toBe(false);
    expect(isWithinWindow(night, at('2026-07-15T00:30:00Z'), 'Europe/Paris')).toBe(true);
    expect(localMinuteOfDay(at('2026-07-15T00:30:00Z'), 'Europe/Paris')).toBe(150);
  });

  it('accepts a UTC offset as LwM2M /3/0/14 reports it', () => {
    expect(isWithinWindow(night, at('2026-11-25T20:30:00Z'), '+06:00')).toBe(true);
    expect(isWithinWindow(night, at('2026-11-25T07:30:00Z'), '-05:00')).toBe(true);
    expect(isWithinWindow(night, at('2026-11-25T12:00:00Z'), '-05:00')).toBe(false);
  });

  it('handles windows that cross midnight', () => {
    const overnight = { start: '22:00', end: '03:00' };
    expect(isWithinWindow(overnight, at('2026-11-25T23:30:00Z'))).toBe(true);
    expect(isWithinWindow(overnight, at('2026-11-26T02:59:00Z'))).toBe(true);
    expect(isWithinWindow(overnight, at('2026-11-26T03:00:00Z'))).toBe(false);
    expect(isWithinWindow(overnight, at('2026-11-26T21:59:00Z'))).toBe(false);
  });

  it("falls back to the window's default zone when the device's zone is unknown or invalid", () => {
    const tokyo = { ...night, defaultTimeZone: 'Asia/Tokyo' };
    expect(isWithinWindow(tokyo, at('2026-11-25T18:00:00Z'))).toBe(true);
    expect(isWithinWindow(tokyo, at('2026-11-25T18:00:00Z'), 'Not/AZone')).toBe(true);
  });

  it('rejects malformed windows with a clear error', () => {
    expect(() => validateTimeWindow({ start: '24:00', end: '01:00' })).toThrow(InvalidTimeWindowError);
    expect(() => validateTimeWindow({ start: '01:00', end: '01:00' })).toThrow(/differ/);
    expect(() => validateTimeWindow({ start: '01:00', end: '02:00', defaultTimeZone: 'Mars/Olympus' })).toThrow(/time zone/);
  });

  it('tells when the current opening began, in the device\'s zone, across midnight, and nothing while closed', () => {
    expect(windowOpenedAt(night, at('2026-11-25T03:30:20Z'))).toBe(at('2026-11-25T02:00:00Z'));
    expect(windowOpenedAt(night, at('2026-11-25T05:00:00Z'))).toBeUndefined();
    // 02:00 in Tokyo is 17:00 UTC the day before.
    expect(windowOpenedAt(night, at('2026-11-24T18:15:00Z'), 'Asia/Tokyo')).toBe(at('2026-11-24T17:00:00Z'));
    expect(windowOpenedAt({ start: '22:00', end: '04:00' }, at('2026-11-25T01:00:00Z'))).toBe(at('2026-11-24T22:00:00Z'));
    expect(windowOpenedAt(undefined, 1234)).toBe(1234);
  });
});
