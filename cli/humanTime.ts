/** Times as a person reads them in a terminal: ISO 8601 in UTC and how long ago (or until). */

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
];

/** `3 min ago`, `in 2 h`, `now`: the largest whole unit. */
export function relativeTime(at: number, now: number): string {
  const delta = at - now;
  const size = Math.abs(delta);
  const [unit, ms] = UNITS.find(([, length]) => size >= length) ?? ['s', 1000];
  const count = Math.floor(size / ms);
  if (count === 0) return 'now';
  return delta < 0 ? `${count} ${unit} ago` : `in ${count} ${unit}`;
}

/** `2026-12-07T06:55:14.000Z (3 min ago)`. */
export function humanTime(at: number, now: number = Date.now()): string {
  return `${new Date(at).toISOString()} (${relativeTime(at, now)})`;
}

/** Fields of API objects that hold epoch milliseconds. */
const TIME_FIELDS = /(At|Seen|Time)$|^(since|at|deadline|notBefore|expiresAt)$/;

/** A field's value for a `field  value` table: times made human, lists joined, objects as JSON. */
export function fieldText(name: string, value: unknown, now: number = Date.now()): string {
  if (typeof value === 'number' && TIME_FIELDS.test(name) && value > 946_684_800_000) return humanTime(value, now);
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item))).join(' ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
