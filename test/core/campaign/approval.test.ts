import { describe, expect, it } from 'vitest';
import { approvalRefusal } from '../../../core/campaign/approval.ts';

describe('approvalRefusal (four eyes)', () => {
  it('refuses the creator of a campaign that needs two people', () => {
    expect(approvalRefusal({ approvers: 2, createdBy: 'alice' }, 'alice', 1)).toMatch(/its creator \(alice\) may not approve it/);
  });

  it('lets another person approve it', () => {
    expect(approvalRefusal({ approvers: 2, createdBy: 'alice' }, 'bob', 1)).toBeUndefined();
  });

  it('lets the creator approve a one-person campaign', () => {
    expect(approvalRefusal({ approvers: 1, createdBy: 'alice' }, 'alice', 2)).toBeUndefined();
  });

  it("applies the stage's default to a campaign that does not say", () => {
    expect(approvalRefusal({ createdBy: 'alice' }, 'alice', 2)).toBeDefined();
    expect(approvalRefusal({ createdBy: 'alice' }, 'alice', 1)).toBeUndefined();
  });
});
