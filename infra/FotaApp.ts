import { App, type AppProps } from 'aws-cdk-lib';
import { StorageStack } from './stacks/StorageStack.ts';
import { OrchestrationStack } from './stacks/OrchestrationStack.ts';

export interface FotaStacks {
  readonly app: App;
  readonly storage: StorageStack;
  readonly orchestration: OrchestrationStack;
}

/** Builds the whole CDK app. Environment-agnostic: synth needs no credentials and no lookups. */
export function buildFotaApp(props: AppProps = {}): FotaStacks {
  const app = new App(props);
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  const storage = new StorageStack(app, `Fota-${stage}-Storage`);
  const orchestration = new OrchestrationStack(app, `Fota-${stage}-Orchestration`, { storage: storage.storage });
  return { app, storage, orchestration };
}
