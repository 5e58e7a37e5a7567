import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FotaStorage } from '../constructs/FotaStorage.ts';

/** Stateful resources in their own stack, retained on delete, so app stacks can be replaced freely. */
export class StorageStack extends Stack {
  readonly storage: FotaStorage;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.storage = new FotaStorage(this, 'Storage');
  }
}
