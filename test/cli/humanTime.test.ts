import { describe, expect, it } from 'vitest';
import { fieldText, humanTime, relativeTime } from '../../cli/humanTime.ts';

const NOW = Date.UTC(2026, 11, 7, 8, 0, 0);

describe('human times in the CLI', () => {
  it('says how long ago or until, in the largest whole unit', () => {
    expect(relativeTime(NOW - 90_000, NOW)).toBe('1 min ago');
    expect(relativeTime(NOW + 3 * 3_600_000, NOW)).toBe('in 3 h');
    expect(relativeTime(NOW - 400, NOW)).toBe('now');
  });

  it('prints epoch-millisecond fields as ISO 8601 with the relative time, and leaves other numbers alone', () => {
    expect(humanTime(NOW - 2 * 86_400_000, NOW)).toBe('2026-12-05T08:00:00.000Z (2 d ago)');
    expect(fieldText('lastSeen', NOW - 5000, NOW)).toBe('2026-12-07T07:59:55.000Z (5 s ago)');
    expect(fieldText('registeredAt', NOW, NOW)).toBe('2026-12-07T08:00:00.000Z (now)');
    expect(fieldText('lifetimeSeconds', 300, NOW)).toBe('300');
    expect(fieldText('groups', ['a', 'b'], NOW)).toBe('a b');
    expect(fieldText('attributes', { site: 'lab' }, NOW)).toBe('{"site":"lab"}');
  });
});
