import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FotaStorage } from '../constructs/FotaStorage.ts';
import { CampaignEvents } from '../constructs/CampaignEvents.ts';
import { CampaignWorkflow } from '../constructs/CampaignWorkflow.ts';
import { WorkflowFunctions } from '../constructs/WorkflowFunctions.ts';
import { FotaApi } from '../constructs/FotaApi.ts';
import { DashboardHosting } from '../constructs/DashboardHosting.ts';
import { CampaignNotifications } from '../constructs/CampaignNotifications.ts';
import { AccessRoles } from '../constructs/AccessRoles.ts';

export interface OrchestrationStackProps extends StackProps {
  readonly storage: FotaStorage;
  /** @default 3 months */
  readonly logRetention?: logs.RetentionDays;
  /** Who may sign firmware images, and whether unsigned ones are refused (stage configuration). */
  readonly imageSigning?: { readonly signers: readonly { readonly name: string; readonly publicKeyPem: string }[]; readonly requireSignedImages: boolean };
  /** IAM path of the API function's role (the credential key lets it seal device keys). @default FotaApi's */
  readonly apiRolePath?: string;
  /** Customer-managed key of every log group of the stack. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
  /** The dashboard's own host name and ACM certificate (us-east-1). @default *.cloudfront.net */
  /** Days device requests are kept (DynamoDB TTL). @default 90 */
  readonly retentionDays?: number;
  /** The stage's four-eyes default for the API (FOTA_DEFAULT_APPROVERS). @default 1 */
  readonly defaultApprovers?: number;
  readonly dashboardDomain?: { readonly domainName: string; readonly certificateArn: string };
}

/**
 * The campaign workflow, the Lambda functions behind its tasks, the bus they publish to, the REST
 * API, and the release-manager dashboard that reads it (here, beside the API, so the API's CORS
 * rule can name the dashboard's origin without a cross-stack reference cycle).
 */
export class OrchestrationStack extends Stack {
  readonly events: CampaignEvents;
  readonly workflow: CampaignWorkflow;
  readonly functions: WorkflowFunctions;
  readonly api: FotaApi;
  readonly dashboard: DashboardHosting;
  readonly notifications: CampaignNotifications;
  readonly accessRoles: AccessRoles;

  constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    // `as` below: under exactOptionalPropertyTypes a jsii class is not assignable to its interface.
    const logRetention = { ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }), ...(props.logKey === undefined ? {} : { logKey: props.logKey }) };
    this.events = new CampaignEvents(this, 'CampaignEvents');
    const stateMachineName = `${this.stackName}-Campaign`;
    this.functions = new WorkflowFunctions(this, 'WorkflowFunctions', { storage: props.storage, eventBus: this.events.bus as events.IEventBus, stateMachineName, ...logRetention });
    this.workflow = new CampaignWorkflow(this, 'CampaignWorkflow', { handlers: this.functions.handlers, stateMachineName, ...logRetention });
    this.dashboard = new DashboardHosting(this, 'Dashboard', { ...logRetention, ...(props.dashboardDomain === undefined ? {} : { domain: props.dashboardDomain }) });
    this.api = new FotaApi(this, 'Api', {
      storage: props.storage,
      stateMachine: this.workflow.stateMachine,
      eventBus: this.events.bus as events.IEventBus,
      corsAllowOrigins: [this.dashboard.url],
      ...(props.imageSigning === undefined ? {} : { imageSigners: props.imageSigning.signers, requireSignedImages: props.imageSigning.requireSignedImages }),
      ...(props.apiRolePath === undefined ? {} : { rolePath: props.apiRolePath }),
      ...(props.retentionDays === undefined ? {} : { retentionDays: props.retentionDays }),
      ...(props.defaultApprovers === undefined ? {} : { defaultApprovers: props.defaultApprovers }),
      ...logRetention,
    });
    // `as`: under exactOptionalPropertyTypes a jsii class is not assignable to its interface.
    this.dashboard.connectApi(this.api.api as apigw.IHttpApi);
    this.notifications = new CampaignNotifications(this, 'CampaignNotifications', { bus: this.events.bus as events.IEventBus });
    // Notifications link to the campaign's page in the dashboard.
    for (const fn of [this.api.handler, ...this.functions.functions]) fn.addEnvironment('FOTA_DASHBOARD_URL', `${this.dashboard.url}/`);
    const { userPool, userPoolClient, identityPool, identityPoolRoles } = this.dashboard;
    this.accessRoles = new AccessRoles(this, 'AccessRoles', { api: this.api.api as apigw.IHttpApi, userPool, userPoolClient, identityPool, identityPoolRoles, namePrefix: this.stackName });
    new CfnOutput(this, 'NotificationTopicArn', { description: 'Campaign notifications: aws sns subscribe --protocol email --topic-arn <this> --notification-endpoint you@example.com', value: this.notifications.topic.topicArn });
    new CfnOutput(this, 'ApiUrl', { description: 'The REST API (fota --api <url>)', value: this.api.api.apiEndpoint });
    new CfnOutput(this, 'DashboardUrl', { description: 'The release-manager dashboard', value: `${this.dashboard.url}/` });
    new CfnOutput(this, 'UserPoolId', { description: 'Release managers: aws cognito-idp admin-create-user --user-pool-id <this>', value: this.dashboard.userPool.userPoolId });
  }
}
