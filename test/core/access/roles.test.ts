import { describe, expect, it } from 'vitest';
import { rolesAllow, rolesOfCallerArn } from '../../../core/access/roles.ts';

describe('rolesAllow', () => {
  it('lets a viewer read and nothing else', () => {
    expect(rolesAllow(['viewer'], 'GET', '/campaigns/c-1')).toBe(true);
    expect(rolesAllow(['viewer'], 'POST', '/campaigns/c-1/pause')).toBe(false);
    expect(rolesAllow(['viewer'], 'POST', '/campaigns/c-1/approve')).toBe(false);
  });

  it('lets an operator change everything but approve', () => {
    for (const [method, path] of [['POST', '/campaigns'], ['POST', '/campaigns/c-1/cancel'], ['POST', '/campaigns/c-1/relaunch'], ['DELETE', '/images/i-1'], ['PUT', '/devices/d/credentials']]) {
      expect(rolesAllow(['operator'], method ?? '', path ?? ''), `${method} ${path}`).toBe(true);
    }
    expect(rolesAllow(['operator'], 'POST', '/campaigns/c-1/approve')).toBe(false);
  });

  it('lets an approver read and approve, and nothing else', () => {
    expect(rolesAllow(['approver'], 'POST', '/campaigns/c-1/approve')).toBe(true);
    expect(rolesAllow(['approver'], 'GET', '/devices')).toBe(true);
    expect(rolesAllow(['approver'], 'POST', '/campaigns')).toBe(false);
  });

  it('adds up the grants of several roles, and grants nothing without a role', () => {
    expect(rolesAllow(['operator', 'approver'], 'POST', '/campaigns/c-1/approve')).toBe(true);
    expect(rolesAllow([], 'GET', '/campaigns')).toBe(false);
  });
});

describe('rolesOfCallerArn', () => {
  it('reads the role from an assumed role named for it', () => {
    expect(rolesOfCallerArn('arn:aws:sts::123456789012:assumed-role/Fota-prod-Orchestration-dashboard-approver/CognitoIdentityCredentials')).toEqual(['approver']);
    expect(rolesOfCallerArn('arn:aws:iam::123456789012:role/ops/fota-prod-operator')).toEqual(['operator']);
  });

  it('knows no role of any other principal', () => {
    expect(rolesOfCallerArn('arn:aws:iam::123456789012:user/alice')).toEqual([]);
    expect(rolesOfCallerArn('arn:aws:sts::123456789012:assumed-role/Admin/alice')).toEqual([]);
  });
});
