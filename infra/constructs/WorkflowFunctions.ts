import { ArnFormat, Stack, Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { WorkflowHandler } from '../../core/campaign/workflowStates.ts';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { FotaStorage, FotaTableName, TableAccess } from './FotaStorage.ts';

/** Environment variable naming the handler a function runs: the local runner maps tasks by it. */
export const HANDLER_ENV = 'FOTA_HANDLER';
/** Environment variable naming the event bus the workflow publishes campaign and job events to. */
/** The variable store/config.ts reads the bus name from. */
export const EVENT_BUS_ENV = 'FOTA_EVENT_BUS_NAME';

/** What one workflow function does with the tables, and whether it transitions jobs (each transition is published to the bus). */
export interface WorkflowFunctionAccess {
  readonly tables: Readonly<Partial<Record<FotaTableName, readonly TableAccess[]>>>;
  readonly publishesEvents: boolean;
}

const READ: readonly TableAccess[] = ['read'];
const READ_WRITE: readonly TableAccess[] = ['read', 'write'];

/**
 * Least privilege per function, from what its code performs (functions/workflow/<name>.ts and the
 * shared modules it calls). Only FinalizeCampaign deletes (it releases the devices' claims).
 */
/*
 * A lifecycle change is notified after its write (store/campaignNotifications.ts): the functions
 * that change a campaign's status publish on the bus and read its jobs for the figures.
 */
export const WORKFLOW_FUNCTION_ACCESS: Readonly<Record<WorkflowHandler, WorkflowFunctionAccess>> = {
  // Reads the campaign and image, lists devices and existing jobs, claims devices (put, take over), creates jobs, records the plan.
  planCampaign: { tables: { campaigns: READ_WRITE, images: READ, devices: READ, jobs: READ_WRITE, claims: READ_WRITE }, publishesEvents: true },
  // tickCohortPhase: the cohort's jobs (list, transition, annotate), device registrations, the campaign's release-rate reservation;
  // evaluatePhase also runs the cohort's gate (cohortGate.ts: the verdict on the campaign, waiting for approval).
  startPhase: { tables: { campaigns: READ_WRITE, jobs: READ_WRITE, devices: READ }, publishesEvents: true },
  evaluatePhase: { tables: { campaigns: READ_WRITE, jobs: READ_WRITE, devices: READ }, publishesEvents: true },
  // Leaves the phase wait's task token on the campaign (no status change).
  awaitPhase: { tables: { campaigns: READ_WRITE }, publishesEvents: false },
  // A dynamic campaign's late devices: reads campaign, image, devices and jobs; claims devices, creates jobs.
  joinLateDevices: { tables: { campaigns: READ, images: READ, devices: READ, jobs: READ_WRITE, claims: READ_WRITE }, publishesEvents: false },
  // Moves the campaign to waiting-for-approval (or on).
  checkApproval: { tables: { campaigns: READ_WRITE, jobs: READ }, publishesEvents: true },
  // Reads the campaign; cancels its open jobs.
  cancelCampaign: { tables: { campaigns: READ, jobs: READ_WRITE }, publishesEvents: true },
  // Starts the next execution: no table (states:StartExecution, below).
  continueAsNew: { tables: {}, publishesEvents: false },
  // Ends open jobs, gives the devices' claims back (DeleteItem), releases the image reservation, records the outcome.
  finalizeCampaign: { tables: { campaigns: READ_WRITE, jobs: READ_WRITE, claims: ['read', 'delete'], images: READ_WRITE }, publishesEvents: true },
};

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
  /** Customer-managed key of the log groups. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
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
      const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS, ...(props.logKey === undefined ? {} : { encryptionKey: props.logKey }) });
      // An own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
      const role = new iam.Role(this, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `FOTA campaign workflow task ${name}`,
      });
      logGroup.grantWrite(role);
      const fn = new nodejs.NodejsFunction(this, name, {
        entry: fileURLToPath(new URL(`../../functions/workflow/${name}.ts`, import.meta.url)),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.minutes(1),
        reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
        role,
        environment: { ...environment, [HANDLER_ENV]: name },
        logGroup,
        bundling: { minify: true, sourceMap: true, target: 'node24' },
      });
      const access = WORKFLOW_FUNCTION_ACCESS[name];
      for (const [table, actions] of Object.entries(access.tables) as [FotaTableName, readonly TableAccess[]][]) storage.grantTables(role, actions, [table]);
      if (access.publishesEvents) eventBus?.grantPutEventsTo(role);
      functions.push(fn);
      return fn;
    };
    this.handlers = {
      planCampaign: make(WorkflowHandler.PlanCampaign),
      startPhase: make(WorkflowHandler.StartPhase),
      evaluatePhase: make(WorkflowHandler.EvaluatePhase),
      awaitPhase: make(WorkflowHandler.AwaitPhase),
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
