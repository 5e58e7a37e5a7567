import { describe, expect, it, beforeAll } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildFotaApp } from '../../infra/FotaApp.ts';
import { loadSynthesizedWorkflow, workflowFromTemplate } from '../../local/synthesizedWorkflow.ts';
import { WorkflowHandler, WorkflowState } from '../../core/campaign/workflowStates.ts';
import '../../local/polyfills.ts';
import { StateMachine } from 'aws-local-stepfunctions';
import { CfnResource } from 'aws-cdk-lib';
import { LAMBDA_THROTTLING_ERRORS, TRANSIENT_TASK_ERRORS } from '../../core/campaign/workflowErrors.ts';
import { CampaignContendedError, InvalidWorkflowInputError } from '../../functions/shared/errors.ts';

/** What a task handler may return: the runner's JSON value type. */
type JsonValue = Parameters<StateMachine['run']>[0];
/** `@aws-cdk/core:validateAgainstDefaultRules`: CloudFormation validation findings fail the synth instead of warning. */
const VALIDATE_AGAINST_DEFAULT_RULES = '@aws-cdk/core:validateAgainstDefaultRules';

/** Runs `synth` with CDK's built-in CloudFormation validation on, which the test run turns off (CDK_VALIDATION). */
function withCloudFormationValidation<T>(synth: () => T): T {
  const saved = process.env['CDK_VALIDATION'];
  delete process.env['CDK_VALIDATION'];
  try {
    return synth();
  } finally {
    if (saved !== undefined) process.env['CDK_VALIDATION'] = saved;
  }
}

interface RetrierJson { readonly ErrorEquals: readonly string[]; readonly BackoffRate?: number; readonly JitterStrategy?: string }

describe('campaign workflow definition', () => {
  let template: Template;

  beforeAll(() => {
    // The one full synth of the suite, as `cdk synth` does: every Lambda bundled with esbuild, and
    // CloudFormation's built-in validation run, its findings failing the synth (other files skip
    // both: vitest.config.ts sets CDK_VALIDATION=false, about 10 s of CPU per test worker).
    template = withCloudFormationValidation(() => {
      const { orchestration } = buildFotaApp({ context: { [VALIDATE_AGAINST_DEFAULT_RULES]: true } });
      return Template.fromStack(orchestration);
    });
  });

  it('passes CloudFormation\'s built-in validation, its findings as errors', () => {
    // A template the validation rejects would have failed the synth in beforeAll; the rule is on.
    const withInvalidResource = () => {
      const app = buildFotaApp({ context: { [VALIDATE_AGAINST_DEFAULT_RULES]: true, 'aws:cdk:bundling-stacks': [] } });
      new CfnResource(app.orchestration, 'NotALambda', { type: 'AWS::Lambda::Function', properties: { Runtime: 'no-such-runtime' } });
      return app.app;
    };
    expect(() => withCloudFormationValidation(() => withInvalidResource().synth())).toThrow(/NotALambda/);
    // The same app synthesizes with the validation off, as the rest of the suite runs.
    expect(() => withInvalidResource().synth()).not.toThrow();
  });

  it('runs locally exactly the ASL that CDK synthesizes for deployment', () => {
    const deployed = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    const local = loadSynthesizedWorkflow();
    expect(local.definition).toEqual(deployed.definition);
    expect([...local.taskHandlers]).toEqual([...deployed.taskHandlers]);
  });

  it('has the real campaign shape: plan, download phase, install phase, finalize', () => {
    const { definition, taskHandlers } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    expect(definition.StartAt).toBe(WorkflowState.ScheduledStart);
    for (const state of [WorkflowState.StartDownloadPhase, WorkflowState.EvaluateDownloads, WorkflowState.StartInstallPhase, WorkflowState.EvaluateInstalls, WorkflowState.FinalizeCampaign]) {
      expect(definition.States[state]?.Type, state).toBe('Task');
    }
    expect(taskHandlers.get(WorkflowState.EvaluateInstalls)).toBe('evaluatePhase');
  });

  it('routes on the cohort\'s gate straight from InstallsSettled: abort, approval, finish, next cohort, late devices', () => {
    const { definition } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    const passed = (rule: Record<string, unknown>) => ({ And: [{ Variable: '$.phase.complete', BooleanEquals: true }, rule] });
    expect(definition.States[WorkflowState.InstallsSettled]).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.phase.cancel', BooleanEquals: true, Next: WorkflowState.RequestCancellation },
        { Variable: '$.phase.abort', BooleanEquals: true, Next: WorkflowState.AbortCampaign },
        { ...passed({ Variable: '$.phase.gate.abort', BooleanEquals: true }), Next: WorkflowState.AbortCampaign },
        { ...passed({ Variable: '$.phase.gate.awaitApproval', BooleanEquals: true }), Next: WorkflowState.WaitForApproval },
        { ...passed({ Variable: '$.phase.gate.finished', BooleanEquals: true }), Next: WorkflowState.FinalizeCampaign },
        { ...passed({ Variable: '$.phase.gate.nextCohort', NumericLessThanPath: '$.cursor.cohortCount' }), Next: WorkflowState.AdvanceCohort },
        { Variable: '$.phase.complete', BooleanEquals: true, Next: WorkflowState.JoinLateDevices },
        { Variable: '$.phase.continueAsNew', BooleanEquals: true, Next: WorkflowState.ContinueAsNew },
      ],
      Default: WorkflowState.WaitForInstalls,
    });
    expect(definition.States[WorkflowState.AdvanceCohort]).toMatchObject({ Type: 'Pass', Next: WorkflowState.StartDownloadPhase });
  });

  it('waits for a scheduled start time before planning, and plans at once without one', () => {
    const { definition } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    expect(definition.States[WorkflowState.ScheduledStart]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.startAt', IsPresent: true, Next: WorkflowState.WaitForStartTime }],
      Default: WorkflowState.PlanCampaign,
    });
    expect(definition.States[WorkflowState.WaitForStartTime]).toMatchObject({ Type: 'Wait', TimestampPath: '$.startAt', Next: WorkflowState.PlanCampaign });
  });

  it('ends a campaign after its last cohort through JoinLateDevices, which a dynamic campaign loops back from to run the last cohort again', () => {
    const { definition, taskHandlers } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    expect(definition.States[WorkflowState.ResumeOrStart]).toMatchObject({ Default: WorkflowState.JoinLateDevices });
    expect(taskHandlers.get(WorkflowState.JoinLateDevices)).toBe('joinLateDevices');
    expect(definition.States[WorkflowState.LateDevicesJoined]).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.join.cancel', BooleanEquals: true, Next: WorkflowState.RequestCancellation },
        { Variable: '$.join.ended', BooleanEquals: true, Next: WorkflowState.FinalizeCampaign },
        { Variable: '$.join.joined', NumericGreaterThan: 0, Next: WorkflowState.RejoinLastCohort },
      ],
      Default: WorkflowState.WaitToJoinLateDevices,
    });
    expect(definition.States[WorkflowState.WaitToJoinLateDevices]).toMatchObject({ Type: 'Wait', Seconds: 300, Next: WorkflowState.JoinLateDevices });
    expect(definition.States[WorkflowState.RejoinLastCohort]).toMatchObject({ Type: 'Pass', Next: WorkflowState.StartDownloadPhase });
  });

  it('waits for each phase on a task token, timing out after the poll interval into the evaluation', () => {
    const { definition, taskHandlers, callbackStates } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    for (const [wait, evaluate] of [[WorkflowState.WaitForDownloads, WorkflowState.EvaluateDownloads], [WorkflowState.WaitForInstalls, WorkflowState.EvaluateInstalls]] as const) {
      expect(callbackStates.has(wait), wait).toBe(true);
      expect(taskHandlers.get(wait)).toBe('awaitPhase');
      expect(definition.States[wait]).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        TimeoutSecondsPath: '$.phase.pollSeconds',
        ResultPath: null,
        Next: evaluate,
        Parameters: { Payload: { 'taskToken.$': '$$.Task.Token' } },
      });
      expect((definition.States[wait]?.['Catch'] as readonly unknown[])[0]).toEqual({ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: evaluate });
    }
    expect([...callbackStates].sort()).toEqual([WorkflowState.WaitForDownloads, WorkflowState.WaitForInstalls]);
  });

  it('uses only JSONPath features the local runner supports (no JSONata, no Assign, no distributed Map)', () => {
    const text = JSON.stringify(workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]).definition);
    expect(text).not.toMatch(/JSONata|"Assign"|ItemReader/);
  });

  it('deploys a Standard state machine with tracing and logging', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR' }),
    });
  });

  it('runs every workflow Lambda on arm64 with the handler it is named for', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { FOTA_HANDLER: Match.anyValue() } } } });
    expect(Object.keys(functions)).toHaveLength(Object.keys(WorkflowHandler).length);
    for (const fn of Object.values(functions)) expect(fn['Properties']['Architectures']).toEqual(['arm64']);
  });

  it('retries every task with back-off on throttling and transient errors before its catch-all', () => {
    const { definition } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    const taskStates = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
    expect(taskStates.length).toBeGreaterThan(5);
    for (const [name, state] of taskStates) {
      const retry = state['Retry'] as readonly RetrierJson[];
      const retried = retry.flatMap((r) => r.ErrorEquals);
      for (const error of ['Lambda.ServiceException', 'Lambda.SdkClientException', ...LAMBDA_THROTTLING_ERRORS, ...TRANSIENT_TASK_ERRORS]) expect(retried, `${name} retries ${error}`).toContain(error);
      expect(retried, name).not.toContain('States.ALL');
      for (const r of retry) expect(r.BackoffRate, name).toBeGreaterThan(1);
      expect(retry.filter((r) => r.JitterStrategy === 'FULL').length, name).toBe(2);
      if (name !== WorkflowState.MarkCampaignFailed) expect((state['Catch'] as readonly unknown[]).at(-1), name).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'] }));
    }
  });

  it('names the transient errors the handlers throw as they are named in code', () => {
    expect(TRANSIENT_TASK_ERRORS).toContain(new CampaignContendedError('contended').name);
    expect(TRANSIENT_TASK_ERRORS).not.toContain(new InvalidWorkflowInputError('bad').name);
  });

  it('takes 22 state transitions for a two-cohort campaign whose phases end at their first wake, each billed', async () => {
    // Prepare: the synthesized definition, each task answering as a phase that its wake completes.
    const { definition, taskHandlers, callbackStates } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    const states = Object.fromEntries(Object.entries(definition.States).map(([name, state]) => [name, callbackStates.has(name) ? { ...state, TimeoutSecondsPath: '$.Payload.timeoutSeconds' } : state]));
    const machine = new StateMachine({ ...definition, States: states } as unknown as ConstructorParameters<typeof StateMachine>[0], { validationOptions: { checkArn: true, checkPaths: true } });
    const phaseState = (phase: string, complete: boolean) => ({ phase, complete, abort: false, cancel: false, continueAsNew: false, pollSeconds: 1, polls: 0, startedAt: 0 });
    const answers: Record<string, (input: { cohort?: number }) => JsonValue> = {
      [WorkflowState.PlanCampaign]: () => ({ campaignId: 'c1', cursor: { cohort: 0, cohortCount: 2, pollSeconds: 1 }, resumePhase: 'none' }),
      [WorkflowState.StartDownloadPhase]: () => phaseState('download', false),
      [WorkflowState.StartInstallPhase]: () => phaseState('install', false),
      [WorkflowState.WaitForDownloads]: () => ({}),
      [WorkflowState.WaitForInstalls]: () => ({}),
      [WorkflowState.EvaluateDownloads]: ({ cohort = 0 }) => ({ ...phaseState('download', true), gate: { abort: false, awaitApproval: false, nextCohort: cohort + 1, finished: false } }),
      [WorkflowState.EvaluateInstalls]: ({ cohort = 0 }) => ({ ...phaseState('install', true), gate: { abort: false, awaitApproval: false, nextCohort: cohort + 1, finished: cohort + 1 === 2 } }),
      [WorkflowState.FinalizeCampaign]: () => ({ status: 'SUCCEEDED' }),
    };
    const handlers = Object.fromEntries([...taskHandlers.keys()].map((name) => [name, async (input: JsonValue) => answers[name]?.(input as { cohort?: number }) ?? { unexpected: name }]));

    // Act
    const execution = machine.run({ campaignId: 'c1' }, { overrides: { taskResourceLocalHandlers: handlers }, context: { Task: { Token: 'token' } } });
    const entered: string[] = [];
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') entered.push(event.state.name);

    // Assess: every state entered, as Step Functions bills them; a cohort is nine, the last eight.
    const cohort = [WorkflowState.StartDownloadPhase, WorkflowState.WaitForDownloads, WorkflowState.EvaluateDownloads, WorkflowState.DownloadsSettled, WorkflowState.StartInstallPhase, WorkflowState.WaitForInstalls, WorkflowState.EvaluateInstalls, WorkflowState.InstallsSettled];
    expect(entered).toEqual([
      WorkflowState.ScheduledStart, WorkflowState.PlanCampaign, WorkflowState.ResumeOrStart,
      ...cohort, WorkflowState.AdvanceCohort,
      ...cohort,
      WorkflowState.FinalizeCampaign, WorkflowState.CampaignDone,
    ]);
    expect(entered).toHaveLength(22);
  });

  it('runs the synthesized definition through a transient error to success, and a permanent one straight to failure', async () => {
    const { definition, taskHandlers } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    const machine = new StateMachine(definition as unknown as ConstructorParameters<typeof StateMachine>[0], { validationOptions: { checkArn: true, checkPaths: true } });
    const run = async (planError: Error) => {
      const calls: string[] = [];
      let planCalls = 0;
      const handlers: Record<string, () => Promise<JsonValue>> = {};
      for (const stateName of taskHandlers.keys()) {
        handlers[stateName] = async () => {
          calls.push(stateName);
          if (stateName === WorkflowState.PlanCampaign) {
            if (++planCalls === 1) throw planError;
            return { campaignId: 'c1', cursor: { cohort: 0, cohortCount: 0, pollSeconds: 1 }, resumePhase: 'none' };
          }
          // A campaign that is not dynamic ends after its last cohort.
          if (stateName === WorkflowState.JoinLateDevices) return { joined: 0, cohort: 0, ended: true, cancel: false };
          return { status: 'done' };
        };
      }
      const retryIntervalOverrides = Object.fromEntries([...taskHandlers.keys()].map((state) => [state, 0]));
      const execution = machine.run({ campaignId: 'c1' }, { overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides } });
      const result = await execution.result.then((output: unknown) => ({ output }), (error: unknown) => ({ error }));
      return { calls, result };
    };

    const transient = await run(new CampaignContendedError('lost the write to another writer'));
    expect(transient.calls).toEqual([WorkflowState.PlanCampaign, WorkflowState.PlanCampaign, WorkflowState.JoinLateDevices, WorkflowState.FinalizeCampaign]);
    expect(transient.result).toHaveProperty('output');

    const permanent = await run(new InvalidWorkflowInputError('campaignId missing'));
    expect(permanent.calls).toEqual([WorkflowState.PlanCampaign, WorkflowState.MarkCampaignFailed]);
    expect(permanent.result).toHaveProperty('error');
  });
});
