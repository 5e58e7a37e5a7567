/**
 * The cdk-nag compliance report of a stage: per pack (AwsSolutions, NIST 800-53 rev 5), the
 * findings left unacknowledged, the ones acknowledged, and the acknowledgements with their
 * reasons. Counts are per (rule, resource). `npm run nag` writes it (scripts/nag.ts).
 */
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { buildFotaApp } from './FotaApp.ts';
import { nagAcknowledgements } from './nagSuppressions.ts';
import { nistAcknowledgements } from './nistAcknowledgements.ts';

export interface NagFinding {
  readonly rule: string;
  readonly path: string;
  readonly description: string;
}

export interface NagPackReport {
  readonly unacknowledged: number;
  readonly acknowledged: number;
  readonly findings: readonly NagFinding[];
  readonly acknowledgedFindings: readonly NagFinding[];
  readonly acknowledgements: readonly { readonly id: string; readonly path: string; readonly reason: string }[];
}

export interface NagReport {
  readonly stage: string;
  readonly packs: { readonly AwsSolutions: NagPackReport; readonly 'NIST.800.53.R5': NagPackReport };
}

type PackName = keyof NagReport['packs'];

const PACKS: Readonly<Record<PackName, () => AwsSolutionsChecks | NIST80053R5Checks>> = {
  AwsSolutions: () => new AwsSolutionsChecks(),
  'NIST.800.53.R5': () => new NIST80053R5Checks(),
};

/** Synthesizes the app twice (with and without the acknowledgements) under `context` and checks both with each pack. */
export function nagReport(context: Record<string, unknown>): NagReport {
  const acknowledged = buildFotaApp({ context });
  const bare = buildFotaApp({ context }, { acknowledgeNagFindings: false });
  acknowledged.app.synth();
  bare.app.synth();
  const acknowledgements = [...nagAcknowledgements(acknowledged), ...nistAcknowledgements(acknowledged)];
  const pack = (name: PackName): NagPackReport => {
    const open = findingsOf(PACKS[name]().validateScope(acknowledged.app));
    const all = findingsOf(PACKS[name]().validateScope(bare.app));
    const openKeys = new Set(open.map(key));
    const acknowledgedFindings = all.filter((finding) => !openKeys.has(key(finding)));
    return {
      unacknowledged: open.length,
      acknowledged: acknowledgedFindings.length,
      findings: open,
      acknowledgedFindings,
      acknowledgements: acknowledgements.filter((a) => a.id.startsWith(`${name}-`)).map((a) => ({ id: a.id, path: a.scope.node.path, reason: a.reason })),
    };
  };
  return { stage: acknowledged.config.stage, packs: { AwsSolutions: pack('AwsSolutions'), 'NIST.800.53.R5': pack('NIST.800.53.R5') } };
}

function findingsOf(report: PolicyValidationPluginReport): NagFinding[] {
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({ rule: violation.ruleName, path: resource.constructPath ?? resource.resourceLogicalId ?? '', description: violation.description })),
  );
}

function key(finding: NagFinding): string {
  return `${finding.rule} ${finding.path}`;
}
