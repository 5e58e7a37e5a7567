/**
 * The key policy of the device-PSK key (FotaStorage's `credentialKey`), explicit instead of CDK's
 * default "the account may do anything": administrators manage the key but cannot use it; only
 * roles under the edge's IAM path decrypt; only roles under the API's IAM path generate data keys,
 * and only with the `{identity, endpoint}` encryption context (store/DeviceCredentialStore.ts).
 * Roles are named by IAM path, not ARN, so the storage stack does not depend on the stacks that
 * create the roles (they depend on it).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface CredentialKeyUsers {
  /** IAM path of the roles that may decrypt device keys: the edge task role. E.g. `/fota-prod/edge/`. */
  readonly decryptRolePath: string;
  /** IAM path of the roles that may seal device keys (GenerateDataKey only): the API role. */
  readonly encryptRolePath: string;
}

/** The encryption context keys a device key is sealed with. */
export const CREDENTIAL_CONTEXT_KEYS = ['identity', 'endpoint'] as const;

/** Everything an administrator needs, and no cryptographic operation (no Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*). */
const ADMIN_ACTIONS = [
  'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*', 'kms:Get*', 'kms:Delete*',
  'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:RotateKeyOnDemand',
];

export function validateRolePath(path: string): void {
  if (!/^\/([\w+=,.@-]+\/)*$/.test(path)) throw new Error(`IAM role path must start and end with "/", got "${path}"`);
}

export function credentialKeyPolicy(scope: Construct, users: CredentialKeyUsers): iam.PolicyDocument {
  validateRolePath(users.decryptRolePath);
  validateRolePath(users.encryptRolePath);
  const stack = Stack.of(scope);
  const account = new iam.AccountRootPrincipal();
  const rolesUnder = (path: string): string => `arn:${stack.partition}:iam::${stack.account}:role${path}*`;
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ sid: 'AdministerWithoutUse', principals: [account], actions: ADMIN_ACTIONS, resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'EdgeDecrypts',
        principals: [account],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        // Rows sealed before the context existed are decrypted without it (sealVersion absent).
        conditions: { ArnLike: { 'aws:PrincipalArn': rolesUnder(users.decryptRolePath) } },
      }),
      new iam.PolicyStatement({
        sid: 'ApiSealsBound',
        principals: [account],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'aws:PrincipalArn': rolesUnder(users.encryptRolePath) },
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...CREDENTIAL_CONTEXT_KEYS] },
          Null: { 'kms:EncryptionContextKeys': 'false' },
        },
      }),
    ],
  });
}
