import { beforeAll, describe, expect, it } from 'vitest';
import { Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildFotaApp, type FotaStacks } from '../../infra/FotaApp.ts';
import { nagAcknowledgements } from '../../infra/nagSuppressions.ts';

// Lambda bundling does not change what AwsSolutions checks (workflow.test.ts bundles for real).
const CONTEXT = { 'aws:cdk:bundling-stacks': [] };

/** `severity rule at construct path`, one line per violating resource, for readable failures. */
function findings(report: PolicyValidationPluginReport, severity: string): string[] {
  return report.violations
    .filter((violation) => violation.severity === severity)
    .flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId}: ${violation.description}`));
}

describe('cdk-nag AwsSolutions checks on the whole app', () => {
  let stacks: FotaStacks;
  let synthError: unknown;
  let report: PolicyValidationPluginReport;
  let unacknowledged: PolicyValidationPluginReport;

  beforeAll(() => {
    stacks = buildFotaApp({ context: CONTEXT });
    // The way infra/app.ts runs it: a validation plugin that fails synthesis on any finding.
    Validations.of(stacks.app).addPlugins(new AwsSolutionsChecks(stacks.app));
    try {
      stacks.app.synth();
    } catch (error) {
      synthError = error;
    }
    report = new AwsSolutionsChecks().validateScope(stacks.app);

    const bare = buildFotaApp({ context: CONTEXT }, { acknowledgeNagFindings: false });
    bare.app.synth();
    unacknowledged = new AwsSolutionsChecks().validateScope(bare.app);
  });

  it('leaves no unacknowledged error', () => {
    expect(findings(report, 'error')).toEqual([]);
  });

  it('leaves no unacknowledged warning', () => {
    expect(findings(report, 'warning')).toEqual([]);
  });

  it('synthesizes with the AwsSolutions pack registered as a validation plugin, as `cdk synth` does', () => {
    expect(synthError).toBeUndefined();
  });

  it('gives every acknowledgement a specific written reason', () => {
    for (const { id, reason } of nagAcknowledgements(stacks)) {
      expect(reason.length, id).toBeGreaterThanOrEqual(120);
      expect(reason, id).toMatch(/\.$/);
    }
    const reasons = nagAcknowledgements(stacks).map((a) => `${a.id} ${a.reason}`);
    expect(new Set(reasons).size).toBe(reasons.length);
  });

  it('acknowledges only findings that really occur, each where it occurs (no stale acknowledgement)', () => {
    const occurring = unacknowledged.violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
    for (const { scope, id } of nagAcknowledgements(stacks)) {
      const path = scope.node.path;
      expect(occurring.some((o) => o.rule === id && (o.path === path || o.path.startsWith(`${path}/`))), `${id} on ${path}`).toBe(true);
    }
  });

  it('keeps the acknowledged findings to the reviewed list', () => {
    const rules = [...new Set(unacknowledged.violations.map((v) => v.ruleName.replace(/\[.*\]$/, '')))].sort();
    expect(rules).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR4',
      'AwsSolutions-EC23',
      'AwsSolutions-ECS2',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM5',
      'AwsSolutions-L1',
      'AwsSolutions-SF1',
    ]);
  });
});
