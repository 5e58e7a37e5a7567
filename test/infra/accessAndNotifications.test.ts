import { beforeAll, describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildFotaApp } from '../../infra/FotaApp.ts';
import { flatten, statementsOf } from './iamStatements.ts';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

/** Roles scoped to routes (issue 18 item 5), Cognito groups mapped to them, and campaign notifications to SNS (issue 16 items 5, 6). */
describe('access roles and campaign notifications (Orchestration stack, dev stage)', () => {
  let template: Template;
  let ids: { api: string; topic: string; bus: string; identityPool: string };
  let policyStatements: (role: string) => ReturnType<typeof statementsOf>;

  beforeAll(() => {
    const { orchestration } = buildFotaApp({ context: SKIP_BUNDLING });
    template = Template.fromStack(orchestration);
    ids = {
      api: logicalId(orchestration.api.api),
      topic: logicalId(orchestration.notifications.topic),
      bus: logicalId(orchestration.events.bus),
      identityPool: logicalId(orchestration.dashboard.identityPool),
    };
    policyStatements = (role) => {
      const policy = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: `Fota-dev-Orchestration-api-${role}` } });
      const [only] = Object.values(policy);
      if (only === undefined) throw new Error(`no managed policy for ${role}`);
      return statementsOf(only['Properties']['PolicyDocument']);
    };
  });

  const route = (methodAndPath: string): string => `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${ids.api}>/*/${methodAndPath}`;

  it('lets a viewer GET every route and nothing else', () => {
    expect(policyStatements('viewer')).toEqual([{ effect: 'Allow', actions: ['execute-api:Invoke'], resources: [route('GET/*')] }]);
  });

  it('lets an operator call every route but approve', () => {
    expect(policyStatements('operator')).toEqual([
      { effect: 'Allow', actions: ['execute-api:Invoke'], resources: [route('*/*')] },
      { effect: 'Deny', actions: ['execute-api:Invoke'], resources: [route('POST/campaigns/*/approve')] },
    ]);
  });

  it('lets an approver GET every route and approve', () => {
    expect(policyStatements('approver')).toEqual([{ effect: 'Allow', actions: ['execute-api:Invoke'], resources: [route('GET/*'), route('POST/campaigns/*/approve')] }]);
  });

  it("maps each Cognito group to its role, named so the API can tell the role from the caller's ARN", () => {
    for (const [group, precedence] of [['approver', 1], ['operator', 2], ['viewer', 3]] as const) {
      const groups = template.findResources('AWS::Cognito::UserPoolGroup', { Properties: { GroupName: group, Precedence: precedence } });
      expect(Object.keys(groups), group).toHaveLength(1);
      const roleArn = flatten(Object.values(groups)[0]?.['Properties']['RoleArn']);
      const roleId = /^<(\w+)\.Arn>$/.exec(roleArn)?.[1] ?? '';
      template.hasResource('AWS::IAM::Role', Match.objectLike({ Properties: Match.objectLike({ RoleName: `Fota-dev-Orchestration-dashboard-${group}` }) }));
      expect(template.findResources('AWS::IAM::Role')[roleId]?.['Properties']['RoleName']).toBe(`Fota-dev-Orchestration-dashboard-${group}`);
    }
    template.hasResourceProperties('AWS::Cognito::IdentityPoolRoleAttachment', {
      IdentityPoolId: { Ref: ids.identityPool },
      RoleMappings: { dashboard: Match.objectLike({ Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' }) },
    });
  });

  it('forwards campaign notifications from the bus to an encrypted, TLS-only SNS topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'FOTA campaign notifications', KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: ids.bus },
      EventPattern: { source: ['lwm2m-fota'], 'detail-type': ['fota.campaign.notification'] },
      Targets: [Match.objectLike({ Arn: { Ref: ids.topic }, InputPath: '$.detail' })],
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
  });

  it("gives the API and every workflow function the dashboard's address for the notifications' links", () => {
    const withUrl = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { FOTA_DASHBOARD_URL: Match.anyValue() } } } });
    const withTables = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { FOTA_CAMPAIGNS_TABLE: Match.anyValue() } } } });
    expect(Object.keys(withUrl).sort()).toEqual(Object.keys(withTables).sort());
    expect(Object.keys(withUrl).length).toBeGreaterThanOrEqual(9);
  });
});
