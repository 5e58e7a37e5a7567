/**
 * Who may call what (issue 16 item 6, issue 18 item 5): three roles as grants on API routes and
 * methods, one table for the IAM managed policies (infra/constructs/AccessRoles.ts turns each into
 * execute-api ARNs), the local API's check, and the dashboard's offer of actions (GET /whoami).
 * Paths use `*` for any run of characters, as execute-api ARNs do.
 */
export const ACCESS_ROLES = ['viewer', 'operator', 'approver'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** A method on a path pattern (`/campaigns/*` matches every path below /campaigns/). */
export interface RouteGrant {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | '*';
  readonly path: string;
}

/** What a role may call (`allow`) and, within that, what it may not (`deny`, which wins). */
export interface RoleGrants {
  readonly allow: readonly RouteGrant[];
  readonly deny: readonly RouteGrant[];
}

const READ: RouteGrant = { method: 'GET', path: '/*' };
const APPROVE: RouteGrant = { method: 'POST', path: '/campaigns/*/approve' };

/**
 * viewer reads; operator reads and changes everything (creates, pauses, cancels, relaunches,
 * rolls back, uploads, provisions) but approves nothing; approver reads and approves. Approval is
 * kept from operators so that launching and approving take two people whatever a campaign says.
 */
export const ROLE_GRANTS: Readonly<Record<AccessRole, RoleGrants>> = {
  viewer: { allow: [READ], deny: [] },
  operator: { allow: [{ method: '*', path: '/*' }], deny: [APPROVE] },
  approver: { allow: [READ, APPROVE], deny: [] },
};

function matches(grant: RouteGrant, method: string, path: string): boolean {
  if (grant.method !== '*' && grant.method !== method) return false;
  const pattern = new RegExp(`^${grant.path.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return pattern.test(path);
}

/** True when one of `roles` allows the call and none of its denials covers it. */
export function rolesAllow(roles: readonly AccessRole[], method: string, path: string): boolean {
  return roles.some((role) => {
    const grants = ROLE_GRANTS[role];
    return grants.allow.some((grant) => matches(grant, method, path)) && !grants.deny.some((grant) => matches(grant, method, path));
  });
}

export function isAccessRole(value: string): value is AccessRole {
  return (ACCESS_ROLES as readonly string[]).includes(value);
}

/**
 * The roles of an AWS caller from its ARN: an assumed role named `...-viewer`, `...-operator` or
 * `...-approver` (the roles the stack creates for its Cognito groups and for people to assume).
 * Any other principal (an IAM user with a policy attached) is not known here: empty.
 */
export function rolesOfCallerArn(arn: string): AccessRole[] {
  const roleName = /:assumed-role\/([^/]+)\//.exec(arn)?.[1] ?? /:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  const role = roleName === undefined ? undefined : /-(viewer|operator|approver)$/.exec(roleName)?.[1];
  return role !== undefined && isAccessRole(role) ? [role] : [];
}
