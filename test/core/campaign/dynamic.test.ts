import { describe, expect, it } from 'vitest';
import { dynamicWindowProblem, takesLateDevices } from '../../../core/campaign/dynamic.ts';

const now = Date.parse('2026-12-01T00:00:00Z');
const inDays = (days: number): string => new Date(now + days * 86_400_000).toISOString();

describe('dynamicWindowProblem', () => {
  it('accepts a dynamic campaign ending within 7 days of its start', () => {
    expect(dynamicWindowProblem({ dynamic: true, endAt: inDays(7) }, now)).toBeUndefined();
    expect(dynamicWindowProblem({ dynamic: true, startAt: inDays(2), endAt: inDays(9) }, now)).toBeUndefined();
  });

  it('refuses a dynamic campaign without an end, ending in the past or before its start, or running longer than 7 days', () => {
    expect(dynamicWindowProblem({ dynamic: true }, now)).toMatch(/^endAt: /);
    expect(dynamicWindowProblem({ dynamic: true, endAt: inDays(-1) }, now)).toMatch(/^endAt: must be after/);
    expect(dynamicWindowProblem({ dynamic: true, startAt: inDays(3), endAt: inDays(2) }, now)).toMatch(/^endAt: must be after/);
    expect(dynamicWindowProblem({ dynamic: true, endAt: inDays(7.1) }, now)).toMatch(/^endAt: at most 7 days/);
  });

  it('refuses an end time on a campaign that is not dynamic', () => {
    expect(dynamicWindowProblem({ endAt: inDays(1) }, now)).toMatch(/^endAt: only a dynamic campaign/);
    expect(dynamicWindowProblem({}, now)).toBeUndefined();
  });
});

describe('takesLateDevices', () => {
  it('is true for a dynamic campaign before its end only', () => {
    expect(takesLateDevices({ dynamic: true, endAt: inDays(1) }, now)).toBe(true);
    expect(takesLateDevices({ dynamic: true, endAt: inDays(1) }, now + 86_400_000)).toBe(false);
    expect(takesLateDevices({ endAt: inDays(1) }, now)).toBe(false);
  });
});
