import { beforeAll, describe, expect, it } from 'vitest';
import { Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildFotaApp, type FotaStacks } from '../../infra/FotaApp.ts';
import { nagAcknowledgements } from '../../infra/nagSuppressions.ts';
import { nagReport, type NagReport } from '../../infra/nagReport.ts';

// Lambda bundling does not change what AwsSolutions checks (workflow.test.ts bundles for real).
const CONTEXT = { 'aws:cdk:bundling-stacks': [] };

/** `severity rule at construct path`, one line per violating resource, for readable failures. */
function findings(report: PolicyValidationPluginReport, severity: string): string[] {
  return report.violations
    .filter((violation) => violation.severity === severity)
    .flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId}: ${violation.description}`));
}

describe('cdk-nag AwsSolutions checks on the whole app (dev stage)', () => {
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
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-L1',
      'AwsSolutions-SF1',
    ]);
  });
});

describe('cdk-nag AwsSolutions and NIST 800-53 rev 5 on the prod stage (npm run nag)', () => {
  let report: NagReport;

  beforeAll(() => {
    report = nagReport({ ...CONTEXT, stage: 'prod', publicHost: 'lwm2m.example.net' });
  });

  it('leaves no finding of either pack unacknowledged', () => {
    expect(report.packs.AwsSolutions.findings).toEqual([]);
    expect(report.packs['NIST.800.53.R5'].findings).toEqual([]);
  });

  it('acknowledges at most 20 NIST findings by rule and construct, each with a specific written reason', () => {
    const { acknowledgements } = report.packs['NIST.800.53.R5'];
    expect(acknowledgements.length).toBeGreaterThan(0);
    expect(acknowledgements.length).toBeLessThanOrEqual(20);
    for (const { id, path, reason } of acknowledgements) {
      expect(reason.length, `${id} on ${path}`).toBeGreaterThanOrEqual(120);
      expect(reason, `${id} on ${path}`).toMatch(/\.$/);
    }
  });

  it('acknowledges only NIST findings that occur under the construct named (no stale acknowledgement)', () => {
    const { acknowledgements, acknowledgedFindings } = report.packs['NIST.800.53.R5'];
    for (const { id, path } of acknowledgements) {
      expect(acknowledgedFindings.some((f) => f.rule === id && (f.path === path || f.path.startsWith(`${path}/`))), `${id} on ${path}`).toBe(true);
    }
  });

  it('fixes the NIST findings that had a fix: keys, backup, versioning, concurrency, security groups, subnets', () => {
    const rules = new Set(report.packs['NIST.800.53.R5'].acknowledgedFindings.map((f) => f.rule));
    for (const fixed of ['CloudWatchLogGroupEncrypted', 'DynamoDBInBackupPlan', 'S3BucketVersioningEnabled', 'EC2RestrictedCommonPorts', 'EC2RestrictedSSH', 'VPCSubnetAutoAssignPublicIpDisabled']) {
      expect(rules.has(`NIST.800.53.R5-${fixed}`), fixed).toBe(false);
    }
    expect([...rules].sort()).toEqual([
      'NIST.800.53.R5-ELBLoggingEnabled',
      'NIST.800.53.R5-ELBv2ACMCertificateRequired',
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'NIST.800.53.R5-LambdaConcurrency',
      'NIST.800.53.R5-LambdaDLQ',
      'NIST.800.53.R5-LambdaInsideVPC',
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
      'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
    ]);
  });
});
