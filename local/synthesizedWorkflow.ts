/**
 * The campaign workflow exactly as CDK synthesizes it: the orchestration stack's template, its
 * DefinitionString resolved to plain ASL (Fn::Join of strings and Fn::GetAtt of Lambda ARNs), and
 * which workflow handler each Task state invokes.
 */
import { buildFotaApp } from '../infra/FotaApp.ts';
import { HANDLER_ENV } from '../infra/constructs/WorkflowFunctions.ts';
import { WorkflowHandler } from '../core/campaign/workflowStates.ts';
import { rememberOrchestrationTemplate, rememberedOrchestrationTemplate, type CfnTemplate } from './orchestrationTemplate.ts';

export interface SynthesizedWorkflow {
  /** The ASL definition, as a parsed object. */
  readonly definition: AslDefinition;
  /** Task state name -> the workflow handler its Lambda function runs. */
  readonly taskHandlers: ReadonlyMap<string, WorkflowHandler>;
  /** Task states that wait for a task token (`lambda:invoke.waitForTaskToken`): their input is `{ FunctionName, Payload }`. */
  readonly callbackStates: ReadonlySet<string>;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly [key: string]: unknown;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly [key: string]: unknown;
}

type CfnValue = string | { 'Fn::Join': [string, CfnValue[]] } | { 'Fn::GetAtt': [string, string] } | { Ref: string };

/**
 * Synthesizes the CDK app in-process (Lambda bundling skipped: only the definition is needed).
 * aws-cdk-lib's built-in template validation is off here: it instantiates a WebAssembly module
 * whose memory (about 170 MB) stays with the process for its lifetime, and the local stack needs
 * only the definition. `npm run synth` and test/infra/workflow.test.ts (its findings as errors) still
 * validate the same templates.
 */
export function synthesizeOrchestrationTemplate(): CfnTemplate {
  const { app, orchestration } = buildFotaApp({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const assembly = app.synth();
  return assembly.getStackArtifact(orchestration.artifactId).template as CfnTemplate;
}

export function workflowFromTemplate(template: CfnTemplate): SynthesizedWorkflow {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const definitionString = machines[0]?.Properties?.['DefinitionString'] as CfnValue;
  const definition = JSON.parse(resolveCfn(definitionString)) as AslDefinition;
  const taskHandlers = new Map<string, WorkflowHandler>();
  const callbackStates = new Set<string>();
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task' || state.Resource === undefined) continue;
    const callback = state.Resource.endsWith(':lambda:invoke.waitForTaskToken');
    if (callback) callbackStates.add(name);
    const functionArn = callback ? String((state['Parameters'] as { FunctionName?: unknown } | undefined)?.FunctionName) : state.Resource;
    const logicalId = functionArn.split(':function:')[1];
    const fn = logicalId === undefined ? undefined : template.Resources[logicalId];
    const environment = (fn?.Properties?.['Environment'] as { Variables?: Record<string, string> } | undefined)?.Variables;
    const handler = environment?.[HANDLER_ENV];
    if (handler === undefined || !Object.values<string>(WorkflowHandler).includes(handler)) {
      throw new Error(`task state ${name} invokes ${functionArn}, which names no workflow handler`);
    }
    taskHandlers.set(name, handler as WorkflowHandler);
  }
  return { definition, taskHandlers, callbackStates };
}

/** Placeholder ARNs keep the logical id, so a Task's function can be found in the template. */
function resolveCfn(value: CfnValue): string {
  if (typeof value === 'string') return value;
  if ('Fn::Join' in value) return value['Fn::Join'][1].map(resolveCfn).join(value['Fn::Join'][0]);
  if ('Fn::GetAtt' in value) return `arn:aws:lambda:us-east-1:123456789012:function:${value['Fn::GetAtt'][0]}`;
  if ('Ref' in value) return value.Ref === 'AWS::Partition' ? 'aws' : value.Ref;
  throw new Error(`unsupported CloudFormation intrinsic in the definition: ${JSON.stringify(value)}`);
}

/** The workflow of this code: synthesized at the first call, remembered for the process after. */
export function loadSynthesizedWorkflow(): SynthesizedWorkflow {
  let template = rememberedOrchestrationTemplate();
  if (template === undefined) {
    template = synthesizeOrchestrationTemplate();
    rememberOrchestrationTemplate(template);
  }
  return workflowFromTemplate(template);
}
