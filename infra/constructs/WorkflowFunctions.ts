import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { WorkflowHandler } from '../../core/campaign/workflowStates.ts';
import type { FotaStorage } from './FotaStorage.ts';

/** Environment variable naming the handler a function runs: the local runner maps tasks by it. */
export const HANDLER_ENV = 'FOTA_HANDLER';

export interface WorkflowFunctionsProps {
  readonly storage: FotaStorage;
  /** @default 3 months */
  readonly logRetention?: logs.RetentionDays;
}

/** The Lambda functions behind the campaign workflow's tasks, arm64, bundled with esbuild. */
export class WorkflowFunctions extends Construct {
  readonly handlers: Readonly<Record<WorkflowHandler, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: WorkflowFunctionsProps) {
    super(scope, id);
    const { storage } = props;
    const environment = {
      FOTA_DEVICES_TABLE: storage.devices.tableName,
      FOTA_JOBS_TABLE: storage.jobs.tableName,
      FOTA_CAMPAIGNS_TABLE: storage.campaigns.tableName,
      FOTA_IMAGES_TABLE: storage.images.tableName,
      FOTA_IMAGE_BUCKET: storage.imageBucket.bucketName,
    };
    const make = (name: WorkflowHandler): lambda.IFunction => {
      const fn = new nodejs.NodejsFunction(this, name, {
        entry: fileURLToPath(new URL(`../../functions/workflow/${name}.ts`, import.meta.url)),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.minutes(1),
        environment: { ...environment, [HANDLER_ENV]: name },
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS }),
        bundling: { minify: true, sourceMap: true, target: 'node20' },
      });
      storage.campaigns.grantReadWriteData(fn);
      storage.jobs.grantReadWriteData(fn);
      storage.devices.grantReadData(fn);
      storage.images.grantReadData(fn);
      return fn;
    };
    this.handlers = {
      planCampaign: make(WorkflowHandler.PlanCampaign),
      startPhase: make(WorkflowHandler.StartPhase),
      evaluatePhase: make(WorkflowHandler.EvaluatePhase),
      verifyCohort: make(WorkflowHandler.VerifyCohort),
      finalizeCampaign: make(WorkflowHandler.FinalizeCampaign),
    };
  }
}
