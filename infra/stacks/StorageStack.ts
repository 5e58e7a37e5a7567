import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FotaStorage } from '../constructs/FotaStorage.ts';
import type { CredentialKeyUsers } from '../constructs/credentialKeyPolicy.ts';

export interface StorageStackProps extends StackProps {
  /** Keep tables and buckets on stack deletion, with DynamoDB deletion protection. @default true */
  readonly retainData?: boolean;
  /** Who may use the device-PSK key, by IAM role path. @default FotaStorage's */
  readonly credentialKeyUsers?: CredentialKeyUsers;
  /** Encrypt tables, the image bucket, backups and log groups with a customer-managed key. @default false */
  readonly customerManagedKeys?: boolean;
}

/** Stateful resources in their own stack, retained on delete, so app stacks can be replaced freely. */
export class StorageStack extends Stack {
  readonly storage: FotaStorage;

  constructor(scope: Construct, id: string, props: StorageStackProps = {}) {
    super(scope, id, props);
    this.storage = new FotaStorage(this, 'Storage', {
      retain: props.retainData !== false,
      customerManagedKeys: props.customerManagedKeys === true,
      ...(props.credentialKeyUsers === undefined ? {} : { credentialKeyUsers: props.credentialKeyUsers }),
    });
  }
}
