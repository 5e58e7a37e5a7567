/**
 * Who may call what on the REST API (issue 18 item 5, issue 16 item 6): one IAM managed policy per
 * role of core/access/roles.ts (viewer, operator, approver), scoped to routes and methods as
 * execute-api ARNs, for people and pipelines to attach or assume; and for the dashboard, one
 * Cognito group per role whose members get that role's credentials from the identity pool
 * (role mapping by token: the group's role), everyone else the read-only role.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ACCESS_ROLES, ROLE_GRANTS, type AccessRole, type RouteGrant } from '../../core/access/roles.ts';

export interface AccessRolesProps {
  readonly api: apigw.IHttpApi;
  /** The dashboard's sign-in: a group per role in this pool, mapped to roles by this identity pool. */
  readonly userPool: cognito.IUserPool;
  readonly userPoolClient: cognito.IUserPoolClient;
  readonly identityPool: cognito.CfnIdentityPool;
  /** The identity pool's role attachment, which gets the groups' role mapping. */
  readonly identityPoolRoles: cognito.CfnIdentityPoolRoleAttachment;
  /** Prefix of the role and policy names, e.g. `fota-prod`: the role names end in `-viewer`, `-operator`, `-approver` (the API reads the role from the caller's ARN). */
  readonly namePrefix: string;
}

/** Group precedence: a person in several groups gets the lowest number's role. */
const PRECEDENCE: Readonly<Record<AccessRole, number>> = { approver: 1, operator: 2, viewer: 3 };

export class AccessRoles extends Construct {
  readonly policies: Readonly<Record<AccessRole, iam.ManagedPolicy>>;
  /** The roles the dashboard's groups map to (assumed through the identity pool only). */
  readonly dashboardRoles: Readonly<Record<AccessRole, iam.Role>>;

  constructor(scope: Construct, id: string, props: AccessRolesProps) {
    super(scope, id);
    const arn = (grant: RouteGrant): string => props.api.arnForExecuteApi(grant.method, grant.path, '*');
    const policies = {} as Record<AccessRole, iam.ManagedPolicy>;
    const roles = {} as Record<AccessRole, iam.Role>;
    for (const role of ACCESS_ROLES) {
      const grants = ROLE_GRANTS[role];
      policies[role] = new iam.ManagedPolicy(this, `${role}Policy`, {
        managedPolicyName: `${props.namePrefix}-api-${role}`,
        description: `FOTA REST API, ${role}: ${grants.allow.map((g) => `${g.method} ${g.path}`).join(', ')}${grants.deny.length === 0 ? '' : ` except ${grants.deny.map((g) => `${g.method} ${g.path}`).join(', ')}`}`,
        statements: [
          new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: grants.allow.map(arn) }),
          ...(grants.deny.length === 0 ? [] : [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['execute-api:Invoke'], resources: grants.deny.map(arn) })]),
        ],
      });
      roles[role] = new iam.Role(this, `${role}DashboardRole`, {
        roleName: `${props.namePrefix}-dashboard-${role}`,
        description: `Release managers of the Cognito group ${role}, signed in to the FOTA dashboard`,
        assumedBy: new iam.FederatedPrincipal(
          'cognito-identity.amazonaws.com',
          { StringEquals: { 'cognito-identity.amazonaws.com:aud': props.identityPool.ref }, 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' } },
          'sts:AssumeRoleWithWebIdentity',
        ),
        managedPolicies: [policies[role]],
        maxSessionDuration: Duration.hours(1),
      });
      new cognito.CfnUserPoolGroup(this, `${role}Group`, { userPoolId: props.userPool.userPoolId, groupName: role, precedence: PRECEDENCE[role], roleArn: roles[role].roleArn, description: `FOTA ${role}s` });
    }
    // The groups' roles come in the id token (cognito:preferred_role); without a group, the pool's
    // authenticated (read-only) role.
    const provider = `cognito-idp.${Stack.of(this).region}.amazonaws.com/${props.userPool.userPoolId}:${props.userPoolClient.userPoolClientId}`;
    props.identityPoolRoles.roleMappings = { dashboard: { type: 'Token', ambiguousRoleResolution: 'AuthenticatedRole', identityProvider: provider } };
    this.policies = policies;
    this.dashboardRoles = roles;
  }
}
