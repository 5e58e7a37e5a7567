import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/api/handler.ts';

/** The Lambda adapter's view of the caller (no store touched by GET /whoami). */
describe('the API Lambda handler', () => {
  const whoami = (iam: Record<string, unknown>) => handler({ rawPath: '/whoami', requestContext: { http: { method: 'GET' }, authorizer: { iam } } });

  it("reads the role from the caller's assumed role and tells dashboard users apart by their Cognito identity", async () => {
    const response = await whoami({
      userArn: 'arn:aws:sts::123456789012:assumed-role/Fota-prod-Orchestration-dashboard-approver/CognitoIdentityCredentials',
      cognitoIdentity: { identityId: 'eu-west-1:1111-2222' },
    });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      actor: 'arn:aws:sts::123456789012:assumed-role/Fota-prod-Orchestration-dashboard-approver/CognitoIdentityCredentials (cognito eu-west-1:1111-2222)',
      roles: ['approver'],
      actions: ['approve'],
    });
  });

  it('offers no campaign action to a principal that is none of the roles (IAM decides its calls)', async () => {
    const body = JSON.parse((await whoami({ userArn: 'arn:aws:iam::123456789012:user/alice' })).body) as { actor: string; roles: string[]; actions: string[] };
    expect(body).toEqual({ actor: 'arn:aws:iam::123456789012:user/alice', roles: [], actions: [] });
  });
});
