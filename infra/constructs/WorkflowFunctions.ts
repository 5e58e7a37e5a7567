import { ArnFormat, Stack, Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { WorkflowHandler } from '../../core/campaign/workflowStates.ts';
import type { FotaStorage } from './FotaStorage.ts';

/** Environment variable naming the handler a function runs: the local runner maps tasks by it. */
export const HANDLER_ENV = 'FOTA_HANDLER';
/** Environment variable naming the event bus the workflow publishes campaign and job events to. */
/** The variable store/config.ts reads the bus name from. */
export const EVENT_BUS_ENV = 'FOTA_EVENT_BUS_NAME';

export interface WorkflowFunctionsProps {
  readonly storage: FotaStorage;
  /** Name of the campaign state machine, which ContinueAsNew starts again. */
  readonly stateMachineName: string;
  /** Bus for campaign and job events; each function may put events on it. @default no bus */
  readonly eventBus?: events.IEventBus;
  /** @default 3 months */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Concurrent executions reserved for each workflow function: a floor that a burst of API calls
   * or other functions in the account cannot take away (campaign tasks are short and few at once:
   * one per running campaign). @default 5
   */
  readonly reservedConcurrency?: number;
}

/** The Lambda functions behind the campaign workflow's tasks, arm64, bundled with esbuild. */
export class WorkflowFunctions extends Construct {
  readonly handlers: Readonly<Record<WorkflowHandler, lambda.IFunction>>;
  /** The same functions, as a list (dashboards and alarms iterate over it). */
  readonly functions: readonly nodejs.NodejsFunction[];

  constructor(scope: Construct, id: string, props: WorkflowFunctionsProps) {
    super(scope, id);
    const { storage, eventBus } = props;
    const environment = {
      FOTA_DEVICES_TABLE: storage.devices.tableName,
      FOTA_JOBS_TABLE: storage.jobs.tableName,
      FOTA_CAMPAIGNS_TABLE: storage.campaigns.tableName,
      FOTA_IMAGES_TABLE: storage.images.tableName,
      FOTA_CLAIMS_TABLE: storage.claims.tableName,
      FOTA_IMAGE_BUCKET: storage.imageBucket.bucketName,
      ...(eventBus === undefined ? {} : { [EVENT_BUS_ENV]: eventBus.eventBusName }),
    };
    const functions: nodejs.NodejsFunction[] = [];
    const make = (name: WorkflowHandler): lambda.IFunction => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
      // An own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
      const role = new iam.Role(this, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `FOTA campaign workflow task ${name}`,
      });
      logGroup.grantWrite(role);
      const fn = new nodejs.NodejsFunction(this, name, {
        entry: fileURLToPath(new URL(`../../functions/workflow/${name}.ts`, import.meta.url)),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.minutes(1),
        reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
        role,
        environment: { ...environment, [HANDLER_ENV]: name },
        logGroup,
        bundling: { minify: true, sourceMap: true, target: 'node20' },
      });
      // Claims: PlanCampaign takes devices, FinalizeCampaign gives them back; images: the campaign's reservation is released at its end.
      storage.grantReadWriteData(role, 'campaigns', 'jobs', 'claims', 'images');
      storage.grantReadData(role, 'devices');
      eventBus?.grantPutEventsTo(role);
      functions.push(fn);
      return fn;
    };
    this.handlers = {
      planCampaign: make(WorkflowHandler.PlanCampaign),
      startPhase: make(WorkflowHandler.StartPhase),
      evaluatePhase: make(WorkflowHandler.EvaluatePhase),
      awaitPhase: make(WorkflowHandler.AwaitPhase),
      verifyCohort: make(WorkflowHandler.VerifyCohort),
      checkApproval: make(WorkflowHandler.CheckApproval),
      cancelCampaign: make(WorkflowHandler.CancelCampaign),
      continueAsNew: make(WorkflowHandler.ContinueAsNew),
      finalizeCampaign: make(WorkflowHandler.FinalizeCampaign),
      joinLateDevices: make(WorkflowHandler.JoinLateDevices),
    };
    // ContinueAsNew starts the workflow again; the ARN is built from the fixed name because the
    // state machine itself depends on these functions.
    const continueRole = (this.handlers.continueAsNew as nodejs.NodejsFunction).role;
    continueRole?.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: props.stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    this.functions = functions;
  }
}
