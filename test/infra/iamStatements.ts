/**
 * Reading IAM statements out of synthesized templates, for assertions on least privilege.
 * Resources are flattened to strings the way cdk-nag does: `<LogicalId.Arn>` for Fn::GetAtt,
 * the export name for Fn::ImportValue, `<Param>` for Ref.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

interface PolicyDocument {
  readonly Statement: ReadonlyArray<{ Effect: string; Action: string | string[]; Resource: unknown }>;
}

/** Every Allow/Deny statement of the AWS::IAM::Policy resources attached to the role. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => (policy['Properties']['Roles'] as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => statementsOf(policy['Properties']['PolicyDocument'] as PolicyDocument));
}

export function statementsOf(document: PolicyDocument): Statement[] {
  return document.Statement.map((statement) => ({
    effect: statement.Effect,
    actions: ([] as string[]).concat(statement.Action),
    resources: ([] as unknown[]).concat(statement.Resource).map(flatten),
  }));
}

/** The logical id of the only resource of `type` whose properties match `predicate`. */
export function onlyLogicalId(template: Template, type: string, predicate: (properties: Record<string, unknown>) => boolean = () => true): string {
  const ids = Object.entries(template.findResources(type))
    .filter(([, resource]) => predicate((resource['Properties'] ?? {}) as Record<string, unknown>))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0] as string;
}

export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const intrinsic = value as Record<string, unknown>;
  if ('Fn::Join' in intrinsic) {
    const [delimiter, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if ('Fn::GetAtt' in intrinsic) {
    const [logicalId, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    return `<${logicalId}.${attribute}>`;
  }
  if ('Fn::ImportValue' in intrinsic) return flatten(intrinsic['Fn::ImportValue']);
  if ('Fn::Sub' in intrinsic) return flatten(intrinsic['Fn::Sub']);
  if ('Ref' in intrinsic) return `<${String(intrinsic['Ref'])}>`;
  return JSON.stringify(value);
}
