/**
 * Recurring daily time windows evaluated in a device's own time zone ("install only 02:00-05:00
 * device local time"). Pure: the zone arithmetic uses Intl, which needs no I/O.
 */
import type { TimeWindow } from './Campaign.ts';

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export class InvalidTimeWindowError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidTimeWindowError';
  }
}

export function validateTimeWindow(window: TimeWindow): void {
  if (!HH_MM.test(window.start) || !HH_MM.test(window.end)) throw new InvalidTimeWindowError(`window times must be HH:MM, got ${window.start}-${window.end}`);
  if (window.start === window.end) throw new InvalidTimeWindowError('window start and end must differ');
  if (window.defaultTimeZone !== undefined && !isTimeZone(window.defaultTimeZone)) throw new InvalidTimeWindowError(`unknown time zone ${window.defaultTimeZone}`);
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Minutes since local midnight at `at` in `timeZone` (an IANA name, or a UTC offset like "+02:00"). */
export function localMinuteOfDay(at: number, timeZone: string): number {
  const offset = parseUtcOffset(timeZone);
  if (offset !== undefined) {
    const minutes = Math.floor(at / 60_000) + offset;
    return ((minutes % 1440) + 1440) % 1440;
  }
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

/** Is `at` inside the window, in the device's zone (or the window's default zone, or UTC)? */
export function isWithinWindow(window: TimeWindow | undefined, at: number, deviceTimeZone?: string): boolean {
  if (window === undefined) return true;
  const now = localMinuteOfDay(at, zoneOf(window, deviceTimeZone));
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/**
 * When the window's current opening began (epoch ms, to the minute) in the device's zone, or
 * undefined while the window is closed; `at` itself when there is no window (always open).
 */
export function windowOpenedAt(window: TimeWindow | undefined, at: number, deviceTimeZone?: string): number | undefined {
  if (window === undefined) return at;
  if (!isWithinWindow(window, at, deviceTimeZone)) return undefined;
  const minutesOpen = (localMinuteOfDay(at, zoneOf(window, deviceTimeZone)) - toMinutes(window.start) + 1440) % 1440;
  return at - (at % 60_000) - minutesOpen * 60_000;
}

/** The device's zone when it names a valid one, else the window's default zone, else UTC. */
function zoneOf(window: TimeWindow, deviceTimeZone: string | undefined): string {
  return deviceTimeZone !== undefined && (isTimeZone(deviceTimeZone) || parseUtcOffset(deviceTimeZone) !== undefined) ? deviceTimeZone : (window.defaultTimeZone ?? 'UTC');
}

function toMinutes(hhmm: string): number {
  const match = HH_MM.exec(hhmm);
  return match === null ? 0 : Number(match[1]) * 60 + Number(match[2]);
}

/** LwM2M /3/0/14 UTC Offset is "+HH:MM" or "-HH:MM" (ISO 8601). */
function parseUtcOffset(value: string): number | undefined {
  const match = /^(?:UTC)?([+-])(\d{2}):?(\d{2})$/.exec(value);
  if (match === null) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** Seconds from `at` until the window is open in `timeZone` (0 when it is open), to the minute. */
export function secondsUntilOpen(window: TimeWindow | undefined, at: number, timeZone = window?.defaultTimeZone ?? 'UTC'): number {
  if (window === undefined || isWithinWindow(window, at, timeZone)) return 0;
  const wait = (toMinutes(window.start) - localMinuteOfDay(at, timeZone) + 1440) % 1440;
  return Math.max(0, wait * 60 - Math.floor((at % 60_000) / 1000));
}
