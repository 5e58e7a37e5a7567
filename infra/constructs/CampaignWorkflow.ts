/**
 * The campaign workflow (ARCHITECTURE.md, "Key decision"): Step Functions moves cohorts through
 * plan -> for each cohort: start downloads -> monitor loop -> start installs -> monitor loop ->
 * verify and gate -> next cohort -> finalize. Devices are driven by the edge, not by this
 * workflow, so its cost does not grow with devices. JSONPath only: the local runner executes
 * this very definition with aws-local-stepfunctions.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WorkflowHandler, WorkflowState as S } from '../../core/campaign/workflowStates.ts';

export interface CampaignWorkflowProps {
  /** One Lambda function per workflow handler. */
  readonly handlers: Readonly<Record<WorkflowHandler, lambda.IFunction>>;
  /** @default 90 days */
  readonly logRetention?: logs.RetentionDays;
}

export class CampaignWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: CampaignWorkflowProps) {
    super(scope, id);
    const h = props.handlers;
    const invoke = (name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string): tasks.LambdaInvoke =>
      new tasks.LambdaInvoke(this, name, {
        stateName: name,
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: true,
      });
    const campaignId = { 'campaignId.$': '$.campaignId' };
    const cohortRef = { ...campaignId, 'cohort.$': '$.cursor.cohort' };

    const markFailed = invoke(S.MarkCampaignFailed, h.finalizeCampaign, { ...campaignId, outcome: 'failed', 'error.$': '$.error' }, '$.final').next(
      new sfn.Fail(this, S.CampaignFailed, { stateName: S.CampaignFailed, error: 'CampaignFailed', cause: 'A workflow task failed' }),
    );
    const catchAll = <T extends tasks.LambdaInvoke>(task: T): T => {
      task.addCatch(markFailed, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };

    const finalize = catchAll(invoke(S.FinalizeCampaign, h.finalizeCampaign, { ...campaignId, outcome: 'completed' }, '$.final')).next(
      new sfn.Succeed(this, S.CampaignDone, { stateName: S.CampaignDone }),
    );
    const abort = catchAll(invoke(S.AbortCampaign, h.finalizeCampaign, { ...campaignId, outcome: 'aborted' }, '$.final')).next(
      new sfn.Succeed(this, 'CampaignAborted', { stateName: 'CampaignAborted' }),
    );

    const monitorPhase = (phase: 'download' | 'install', waitName: string, evaluateName: string, settledName: string, next: sfn.IChainable): sfn.IChainable => {
      const wait = new sfn.Wait(this, waitName, { stateName: waitName, time: sfn.WaitTime.secondsPath('$.cursor.pollSeconds') });
      const evaluate = catchAll(invoke(evaluateName, h.evaluatePhase, { ...cohortRef, phase }, '$.phase'));
      const settled = new sfn.Choice(this, settledName, { stateName: settledName })
        .when(sfn.Condition.booleanEquals('$.phase.abort', true), abort)
        .when(sfn.Condition.booleanEquals('$.phase.complete', true), next)
        .otherwise(wait);
      return wait.next(evaluate).next(settled);
    };

    const nextCohortOrFinish = new sfn.Choice(this, S.NextCohortOrFinish, { stateName: S.NextCohortOrFinish });
    const advance = new sfn.Pass(this, S.AdvanceCohort, {
      stateName: S.AdvanceCohort,
      parameters: { 'cohort.$': '$.gate.nextCohort', 'cohortCount.$': '$.cursor.cohortCount', 'pollSeconds.$': '$.cursor.pollSeconds' },
      resultPath: '$.cursor',
    }).next(nextCohortOrFinish);
    const gate = new sfn.Choice(this, S.CohortGate, { stateName: S.CohortGate })
      .when(sfn.Condition.booleanEquals('$.gate.abort', true), abort)
      .otherwise(advance);
    const verify = catchAll(invoke(S.VerifyCohort, h.verifyCohort, cohortRef, '$.gate')).next(gate);
    const install = catchAll(invoke(S.StartInstallPhase, h.startPhase, { ...cohortRef, phase: 'install' }, '$.phase')).next(
      monitorPhase('install', S.WaitForInstalls, S.EvaluateInstalls, S.InstallsSettled, verify),
    );
    const download = catchAll(invoke(S.StartDownloadPhase, h.startPhase, { ...cohortRef, phase: 'download' }, '$.phase')).next(
      monitorPhase('download', S.WaitForDownloads, S.EvaluateDownloads, S.DownloadsSettled, install),
    );
    nextCohortOrFinish
      .when(sfn.Condition.numberLessThanJsonPath('$.cursor.cohort', '$.cursor.cohortCount'), download)
      .otherwise(finalize);

    const definition = catchAll(invoke(S.PlanCampaign, h.planCampaign, campaignId, '$.cursor')).next(nextCohortOrFinish);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      // A safety net; each job has its own deadline. Kept under 2^31 ms (24.8 days): the local
      // runner arms one Node timer for it, and a longer one fires at once.
      timeout: Duration.days(21),
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS }),
        level: sfn.LogLevel.ERROR,
        includeExecutionData: false,
      },
    });
  }
}
