import { App, Tags, type AppProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { StorageStack } from './stacks/StorageStack.ts';
import { OrchestrationStack } from './stacks/OrchestrationStack.ts';
import { EdgeStack } from './stacks/EdgeStack.ts';
import { ObservabilityStack } from './stacks/ObservabilityStack.ts';
import { acknowledgeNagFindings } from './nagSuppressions.ts';
import { parseStageConfig, STAGE_CONTEXT_KEYS, type StageConfig } from './stageConfig.ts';

export interface FotaStacks {
  readonly app: App;
  readonly config: StageConfig;
  readonly storage: StorageStack;
  readonly orchestration: OrchestrationStack;
  readonly edge: EdgeStack;
  readonly observability: ObservabilityStack;
}

/**
 * Feature flags the app is written for; context from cdk.json or `-c` still wins. Server access
 * logs are delivered under a bucket policy instead of the legacy log-delivery ACL, so the log
 * bucket can keep ACLs disabled (BucketOwnerEnforced).
 */
const FEATURE_FLAGS = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export interface BuildOptions {
  /** Record the cdk-nag acknowledgements of infra/nagSuppressions.ts. @default true */
  readonly acknowledgeNagFindings?: boolean;
}

/**
 * Builds the whole CDK app. Environment-agnostic: synth needs no credentials and no lookups.
 * The only place that reads context (infra/stageConfig.ts lists the keys and defaults).
 */
export function buildFotaApp(props: AppProps = {}, options: BuildOptions = {}): FotaStacks {
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...props.context } });
  const config = parseStageConfig(Object.fromEntries(STAGE_CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)])));
  const { stage, logRetention } = config;
  const production = stage === 'prod';
  Tags.of(app).add('Project', 'lwm2m-fota');
  Tags.of(app).add('Stage', stage);

  // IAM paths per stage: the credential key's policy names the roles that may use it by path, so a
  // dev stage's edge in the same account cannot decrypt prod's device keys.
  const credentialKeyUsers = { decryptRolePath: `/fota-${stage}/edge/`, encryptRolePath: `/fota-${stage}/api/` };
  const storage = new StorageStack(app, `Fota-${stage}-Storage`, {
    description: `LwM2M FOTA ${stage}: device registry, jobs, campaigns, firmware images (retained)`,
    retainData: config.retainData,
    customerManagedKeys: config.customerManagedKeys,
    credentialKeyUsers,
    terminationProtection: production,
  });
  // `as`: under exactOptionalPropertyTypes a jsii class is not assignable to its interface.
  const logKey = storage.storage.dataKey === undefined ? {} : { logKey: storage.storage.dataKey as kms.IKey };
  const orchestration = new OrchestrationStack(app, `Fota-${stage}-Orchestration`, {
    description: `LwM2M FOTA ${stage}: campaign workflow, its Lambda tasks and event bus`,
    storage: storage.storage,
    logRetention,
    imageSigning: { signers: config.imageSigners, requireSignedImages: config.requireSignedImages },
    apiRolePath: credentialKeyUsers.encryptRolePath,
    ...logKey,
    retentionDays: config.retentionDays,
    defaultApprovers: config.defaultApprovers,
    ...(config.dashboardDomain === undefined ? {} : { dashboardDomain: config.dashboardDomain }),
  });
  const edge = new EdgeStack(app, `Fota-${stage}-Edge`, {
    description: `LwM2M FOTA ${stage}: CoAP edge on Fargate behind a UDP Network Load Balancer`,
    edge: {
      storage: storage.storage,
      taskRolePath: credentialKeyUsers.decryptRolePath,
      campaignWorkflow: orchestration.workflow.stateMachine,
      desiredCount: config.edgeDesiredCount,
      allowNoSec: config.allowNoSec,
      logRetention,
      // A second NAT gateway keeps both AZs' tasks able to reach ECR and CloudWatch when one AZ fails.
      natGateways: production ? 2 : 1,
      loadBalancerDeletionProtection: production,
      ...(config.publicHost === undefined ? {} : { publicHost: config.publicHost }),
      // The edge's job transitions go to the same bus as the workflow's.
      eventBus: orchestration.events.bus as events.IEventBus,
      retentionDays: config.retentionDays,
      ...logKey,
    },
  });
  const observability = new ObservabilityStack(app, `Fota-${stage}-Observability`, {
    description: `LwM2M FOTA ${stage}: dashboard, alarms and alarm topic`,
    observability: {
      name: `Fota-${stage}`,
      stateMachine: orchestration.workflow.stateMachine,
      functions: orchestration.functions.functions,
      edge: edge.edge,
      // `as`: under exactOptionalPropertyTypes a jsii class is not assignable to its interface.
      api: { httpApi: orchestration.api.api as apigw.IHttpApi, handler: orchestration.api.handler },
      tables: storage.storage.tables as readonly dynamodb.ITable[],
      ...(config.alarmEmail === undefined ? {} : { alarmEmail: config.alarmEmail }),
    },
  });
  const stacks = { app, config, storage, orchestration, edge, observability };
  if (options.acknowledgeNagFindings !== false) acknowledgeNagFindings(stacks);
  return stacks;
}
