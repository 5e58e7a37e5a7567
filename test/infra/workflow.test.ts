import { describe, expect, it, beforeAll } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildFotaApp } from '../../infra/FotaApp.ts';
import { loadSynthesizedWorkflow, workflowFromTemplate } from '../../local/synthesizedWorkflow.ts';
import { WorkflowHandler, WorkflowState } from '../../core/campaign/workflowStates.ts';

describe('campaign workflow definition', () => {
  let template: Template;

  beforeAll(() => {
    // A full synth, Lambda bundling with esbuild included, as `cdk synth` does.
    const { orchestration } = buildFotaApp();
    template = Template.fromStack(orchestration);
  });

  it('runs locally exactly the ASL that CDK synthesizes for deployment', () => {
    const deployed = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    const local = loadSynthesizedWorkflow();
    expect(local.definition).toEqual(deployed.definition);
    expect([...local.taskHandlers]).toEqual([...deployed.taskHandlers]);
  });

  it('has the real campaign shape: plan, download phase, install phase, verify, finalize', () => {
    const { definition, taskHandlers } = workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]);
    expect(definition.StartAt).toBe(WorkflowState.PlanCampaign);
    for (const state of [WorkflowState.StartDownloadPhase, WorkflowState.EvaluateDownloads, WorkflowState.StartInstallPhase, WorkflowState.EvaluateInstalls, WorkflowState.VerifyCohort, WorkflowState.FinalizeCampaign]) {
      expect(definition.States[state]?.Type, state).toBe('Task');
    }
    expect(definition.States[WorkflowState.WaitForDownloads]).toMatchObject({ Type: 'Wait', SecondsPath: '$.phase.pollSeconds' });
    expect(taskHandlers.get(WorkflowState.EvaluateInstalls)).toBe('evaluatePhase');
  });

  it('uses only JSONPath features the local runner supports (no JSONata, no Assign, no callbacks)', () => {
    const text = JSON.stringify(workflowFromTemplate(template.toJSON() as Parameters<typeof workflowFromTemplate>[0]).definition);
    expect(text).not.toMatch(/JSONata|"Assign"|waitForTaskToken|ItemReader/);
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
});
