/**
 * The campaign workflow (ARCHITECTURE.md, "Key decision"): Step Functions moves cohorts through
 * plan -> for each cohort: start downloads -> monitor loop -> start installs -> monitor loop whose
 * last evaluation runs the cohort's gate (abort, approval) -> next cohort -> finalize; each state
 * entered is billed, so the loop path has no state that another could do; pause is honoured inside the
 * monitor loops, cancel leads to a settle loop. Devices are driven by the edge, not by this
 * workflow, so its cost does not grow with devices. A monitor loop waits on a task token that the
 * edge hands back when the phase's last job ends, or else for the poll interval, which grows while
 * nothing changes; after MAX_POLLS_PER_EXECUTION polls an execution hands over to a fresh one.
 * JSONPath only: the local runner executes this very definition with aws-local-stepfunctions.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WorkflowHandler, WorkflowState as S } from '../../core/campaign/workflowStates.ts';
import { LAMBDA_THROTTLING_ERRORS, TRANSIENT_TASK_ERRORS } from '../../core/campaign/workflowErrors.ts';
import { DYNAMIC_JOIN_SECONDS } from '../../core/campaign/dynamic.ts';

/**
 * Retries of every task, after the Lambda service exceptions that `retryOnServiceExceptions` adds
 * and before the catch-all: throttling of the invocation, then the transient errors the handlers
 * throw (core/campaign/workflowErrors.ts), with exponential back-off and full jitter, so that a
 * throttled account or one contended write does not fail a campaign that runs for days.
 */
function addTransientRetries(task: tasks.LambdaInvoke): tasks.LambdaInvoke {
  task.addRetry({ errors: [...LAMBDA_THROTTLING_ERRORS], interval: Duration.seconds(2), maxAttempts: 8, backoffRate: 2, maxDelay: Duration.minutes(2), jitterStrategy: sfn.JitterType.FULL });
  task.addRetry({ errors: [...TRANSIENT_TASK_ERRORS], interval: Duration.seconds(3), maxAttempts: 5, backoffRate: 2, maxDelay: Duration.minutes(1), jitterStrategy: sfn.JitterType.FULL });
  return task;
}

/**
 * A campaign with a `startAt` (in the execution input, UTC ISO 8601) waits for it before it is
 * planned, so devices that register meanwhile are planned too; it stays CREATED while it waits.
 */
function scheduledStart(scope: Construct, plan: sfn.IChainable): sfn.Choice {
  const waitForStart = new sfn.Wait(scope, S.WaitForStartTime, { stateName: S.WaitForStartTime, time: sfn.WaitTime.timestampPath('$.startAt') }).next(plan);
  return new sfn.Choice(scope, S.ScheduledStart, { stateName: S.ScheduledStart }).when(sfn.Condition.isPresent('$.startAt'), waitForStart).otherwise(plan);
}

/**
 * After the last cohort: JoinLateDevices (core/campaign/dynamic.ts) ends any campaign that is not
 * dynamic at once; a dynamic one runs the last cohort's phases again for the devices that joined,
 * and looks again every DYNAMIC_JOIN_SECONDS until its `endAt`.
 */
function lateDevices(scope: Construct, join: tasks.LambdaInvoke, next: { download: sfn.IChainable; finalize: sfn.IChainable; cancel: sfn.IChainable }): tasks.LambdaInvoke {
  const waitToJoin = new sfn.Wait(scope, S.WaitToJoinLateDevices, { stateName: S.WaitToJoinLateDevices, time: sfn.WaitTime.duration(Duration.seconds(DYNAMIC_JOIN_SECONDS)) });
  const rejoin = new sfn.Pass(scope, S.RejoinLastCohort, {
    stateName: S.RejoinLastCohort,
    parameters: { 'cohort.$': '$.join.cohort', 'cohortCount.$': '$.cursor.cohortCount', 'pollSeconds.$': '$.cursor.pollSeconds' },
    resultPath: '$.cursor',
  }).next(next.download);
  const joined = new sfn.Choice(scope, S.LateDevicesJoined, { stateName: S.LateDevicesJoined })
    .when(sfn.Condition.booleanEquals('$.join.cancel', true), next.cancel)
    .when(sfn.Condition.booleanEquals('$.join.ended', true), next.finalize)
    .when(sfn.Condition.numberGreaterThan('$.join.joined', 0), rejoin)
    .otherwise(waitToJoin);
  waitToJoin.next(join);
  join.next(joined);
  return join;
}

export interface CampaignWorkflowProps {
  /** One Lambda function per workflow handler. */
  readonly handlers: Readonly<Record<WorkflowHandler, lambda.IFunction>>;
  /** Fixed name, so ContinueAsNew can be granted StartExecution on it. @default generated */
  readonly stateMachineName?: string;
  /** @default 3 months */
  readonly logRetention?: logs.RetentionDays;
  /** Customer-managed key of the execution log group. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
}

export class CampaignWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: CampaignWorkflowProps) {
    super(scope, id);
    const h = props.handlers;
    const invoke = (name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string, pattern = sfn.IntegrationPattern.REQUEST_RESPONSE): tasks.LambdaInvoke =>
      addTransientRetries(
        new tasks.LambdaInvoke(this, name, {
          stateName: name,
          lambdaFunction: fn,
          payload: sfn.TaskInput.fromObject(payload),
          resultPath,
          retryOnServiceExceptions: true,
          ...(pattern === sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN
            ? { integrationPattern: pattern, taskTimeout: sfn.Timeout.at('$.phase.pollSeconds') }
            : { payloadResponseOnly: true }),
        }),
      );
    const wait = (name: string, secondsPath: string): sfn.Wait => new sfn.Wait(this, name, { stateName: name, time: sfn.WaitTime.secondsPath(secondsPath) });
    const choice = (name: string): sfn.Choice => new sfn.Choice(this, name, { stateName: name });
    const campaignId = { 'campaignId.$': '$.campaignId' };
    const cohortRef = { ...campaignId, 'cohort.$': '$.cursor.cohort' };

    const markFailed = invoke(S.MarkCampaignFailed, h.finalizeCampaign, { ...campaignId, outcome: 'failed', 'error.$': '$.error' }, '$.final').next(
      new sfn.Fail(this, S.CampaignFailed, { stateName: S.CampaignFailed, error: 'CampaignFailed', cause: 'A workflow task failed' }),
    );
    const catchAll = <T extends tasks.LambdaInvoke>(task: T): T => {
      task.addCatch(markFailed, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };
    const task = (name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string): tasks.LambdaInvoke => catchAll(invoke(name, fn, payload, resultPath));

    const finalize = task(S.FinalizeCampaign, h.finalizeCampaign, { ...campaignId, outcome: 'completed' }, '$.final').next(new sfn.Succeed(this, S.CampaignDone, { stateName: S.CampaignDone }));
    const abort = task(S.AbortCampaign, h.finalizeCampaign, { ...campaignId, outcome: 'aborted' }, '$.final').next(new sfn.Succeed(this, S.CampaignAborted, { stateName: S.CampaignAborted }));

    // Cancel: cancel what has not started, reset downloads, let updating devices finish, then finalize.
    const waitForCancellation = wait(S.WaitForCancellation, '$.cursor.pollSeconds');
    const cancellationSettled = choice(S.CancellationSettled)
      .when(
        sfn.Condition.booleanEquals('$.cancellation.settled', true),
        task(S.FinalizeCancelled, h.finalizeCampaign, { ...campaignId, outcome: 'cancelled' }, '$.final').next(new sfn.Succeed(this, S.CampaignCancelled, { stateName: S.CampaignCancelled })),
      )
      .otherwise(waitForCancellation);
    waitForCancellation.next(task(S.EvaluateCancellation, h.cancelCampaign, { ...campaignId, step: 'settle' }, '$.cancellation')).next(cancellationSettled);
    const cancel = task(S.RequestCancellation, h.cancelCampaign, { ...campaignId, step: 'request' }, '$.cancellation').next(cancellationSettled);

    const continueAsNew = task(S.ContinueAsNew, h.continueAsNew, {
      ...cohortRef,
      'phase.$': '$.phase.phase',
      'startedAt.$': '$.phase.startedAt',
      'stateMachineArn.$': '$$.StateMachine.Id',
    }, '$.continued').next(new sfn.Succeed(this, S.ContinuedAsNew, { stateName: S.ContinuedAsNew }));

    // The phase's wait: a task token left on the campaign (awaitPhase), which the edge hands back
    // (SendTaskSuccess) when the last job of the phase it drives ends, so the phase is evaluated
    // as soon as its devices are done. Timing out after the poll interval is the safety net: the
    // phase is then evaluated as before.
    const awaitPhase = (name: string, phase: 'download' | 'install', evaluate: sfn.IChainable): tasks.LambdaInvoke => {
      // timeoutSeconds repeats the TimeoutSecondsPath for the local runner (local/LocalStepFunctions.ts).
      const waiting = invoke(name, h.awaitPhase, { ...cohortRef, phase, taskToken: sfn.JsonPath.taskToken, 'timeoutSeconds.$': '$.phase.pollSeconds' }, sfn.JsonPath.DISCARD, sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN);
      waiting.addCatch(evaluate, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
      return catchAll(waiting);
    };
    const monitorPhase = (phase: 'download' | 'install', waitName: string, evaluateName: string, settled: sfn.Choice): tasks.LambdaInvoke => {
      const evaluate = task(evaluateName, h.evaluatePhase, {
        ...cohortRef,
        phase,
        'polls.$': '$.phase.polls',
        'pollSeconds.$': '$.phase.pollSeconds',
        'startedAt.$': '$.phase.startedAt',
      }, '$.phase');
      const waitState = awaitPhase(waitName, phase, evaluate);
      settled
        .when(sfn.Condition.booleanEquals('$.phase.continueAsNew', true), continueAsNew)
        .otherwise(waitState);
      waitState.next(evaluate).next(settled);
      return waitState;
    };
    const cancelledOrAborted = (name: string): sfn.Choice =>
      choice(name)
        .when(sfn.Condition.booleanEquals('$.phase.cancel', true), cancel)
        .when(sfn.Condition.booleanEquals('$.phase.abort', true), abort);

    // Each state entered is a billed transition (about $0.025 per 1,000): the cohort's gate runs in
    // EvaluateInstalls (functions/workflow/cohortGate.ts) and InstallsSettled routes on its
    // verdict, with no task, Choice or Pass state of its own.
    const downloadsSettled = cancelledOrAborted(S.DownloadsSettled);
    const installsSettled = cancelledOrAborted(S.InstallsSettled);
    const download = task(S.StartDownloadPhase, h.startPhase, { ...cohortRef, phase: 'download' }, '$.phase');
    const advance = new sfn.Pass(this, S.AdvanceCohort, {
      stateName: S.AdvanceCohort,
      parameters: { 'cohort.$': '$.phase.gate.nextCohort', 'cohortCount.$': '$.cursor.cohortCount', 'pollSeconds.$': '$.cursor.pollSeconds' },
      resultPath: '$.cursor',
    }).next(download);
    const waitForApproval = wait(S.WaitForApproval, '$.cursor.pollSeconds');
    const approvalGiven = choice(S.ApprovalGiven)
      .when(sfn.Condition.booleanEquals('$.approval.cancel', true), cancel)
      .when(sfn.Condition.booleanEquals('$.approval.approved', true), advance)
      .otherwise(waitForApproval);
    waitForApproval.next(task(S.CheckApproval, h.checkApproval, { ...campaignId, 'cohort.$': '$.phase.gate.nextCohort' }, '$.approval')).next(approvalGiven);
    const join = lateDevices(this, task(S.JoinLateDevices, h.joinLateDevices, campaignId, '$.join'), { download, finalize, cancel });
    const passed = (condition: sfn.Condition): sfn.Condition => sfn.Condition.and(sfn.Condition.booleanEquals('$.phase.complete', true), condition);
    installsSettled
      .when(passed(sfn.Condition.booleanEquals('$.phase.gate.abort', true)), abort)
      .when(passed(sfn.Condition.booleanEquals('$.phase.gate.awaitApproval', true)), waitForApproval)
      .when(passed(sfn.Condition.booleanEquals('$.phase.gate.finished', true)), finalize)
      .when(passed(sfn.Condition.numberLessThanJsonPath('$.phase.gate.nextCohort', '$.cursor.cohortCount')), advance)
      .when(sfn.Condition.booleanEquals('$.phase.complete', true), join);
    const waitForInstalls = monitorPhase('install', S.WaitForInstalls, S.EvaluateInstalls, installsSettled);
    const install = task(S.StartInstallPhase, h.startPhase, { ...cohortRef, phase: 'install' }, '$.phase').next(waitForInstalls);
    downloadsSettled.when(sfn.Condition.booleanEquals('$.phase.complete', true), install);
    const waitForDownloads = monitorPhase('download', S.WaitForDownloads, S.EvaluateDownloads, downloadsSettled);
    download.next(waitForDownloads);

    const resumeOrStart = choice(S.ResumeOrStart)
      .when(sfn.Condition.stringEquals('$.resumePhase', 'download'), waitForDownloads)
      .when(sfn.Condition.stringEquals('$.resumePhase', 'install'), waitForInstalls)
      .when(sfn.Condition.numberLessThanJsonPath('$.cursor.cohort', '$.cursor.cohortCount'), download)
      .otherwise(join);
    // The whole input goes to PlanCampaign: `resume` is present only when an execution continues another.
    const plan = catchAll(
      addTransientRetries(new tasks.LambdaInvoke(this, S.PlanCampaign, { stateName: S.PlanCampaign, lambdaFunction: h.planCampaign, payloadResponseOnly: true, retryOnServiceExceptions: true })),
    );
    plan.next(resumeOrStart);
    const definition = scheduledStart(this, plan);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      ...(props.stateMachineName === undefined ? {} : { stateMachineName: props.stateMachineName }),
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      // A safety net; each job has its own deadline and long campaigns continue as new. Kept under
      // 2^31 ms (24.8 days): the local runner arms one Node timer for it.
      timeout: Duration.days(21),
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS, ...(props.logKey === undefined ? {} : { encryptionKey: props.logKey }) }),
        level: sfn.LogLevel.ERROR,
        includeExecutionData: false,
      },
    });
  }
}
