/**
 * Runs the synthesized campaign workflow with aws-local-stepfunctions, each Lambda task mapped to
 * the same handler function the deployed Lambda runs. The interface is the small part of Step
 * Functions the product uses: start an execution, look at it, wait for it.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { WorkflowHandler } from '../core/campaign/workflowStates.ts';
import type { SynthesizedWorkflow } from './synthesizedWorkflow.ts';
import { handler as planCampaign } from '../functions/workflow/planCampaign.ts';
import { handler as startPhase } from '../functions/workflow/startPhase.ts';
import { handler as evaluatePhase } from '../functions/workflow/evaluatePhase.ts';
import { handler as verifyCohort } from '../functions/workflow/verifyCohort.ts';
import { handler as finalizeCampaign } from '../functions/workflow/finalizeCampaign.ts';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const HANDLERS: Readonly<Record<WorkflowHandler, (event: unknown) => Promise<unknown>>> = {
  planCampaign,
  startPhase,
  evaluatePhase,
  verifyCohort,
  finalizeCampaign,
};

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface Execution {
  readonly executionId: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  /** Task states entered, in order: what the execution did. */
  readonly taskLog: string[];
  readonly done: Promise<void>;
  abort(): void;
}

export interface WorkflowStarter {
  startExecution(input: Record<string, unknown>): Execution;
}

export class LocalStepFunctions implements WorkflowStarter {
  private readonly machine: StateMachine;
  readonly executions = new Map<string, Execution>();

  constructor(
    private readonly workflow: SynthesizedWorkflow,
    private readonly options: { readonly waitOverrideMs?: number } = {},
  ) {
    this.machine = new StateMachine(workflow.definition as unknown as ConstructorParameters<typeof StateMachine>[0], {
      validationOptions: { checkArn: true, checkPaths: true },
    });
  }

  startExecution(input: Record<string, unknown>): Execution {
    const taskLog: string[] = [];
    const taskResourceLocalHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const [stateName, handlerName] of this.workflow.taskHandlers) {
      taskResourceLocalHandlers[stateName] = async (event) => {
        taskLog.push(stateName);
        return (await HANDLERS[handlerName](event)) as JsonValue;
      };
    }
    const waitTimeOverrides: Record<string, number> = {};
    if (this.options.waitOverrideMs !== undefined) {
      for (const [name, state] of Object.entries(this.workflow.definition.States)) {
        if (state.Type === 'Wait') waitTimeOverrides[name] = this.options.waitOverrideMs;
      }
    }
    const run = this.machine.run(input as JsonValue, { overrides: { taskResourceLocalHandlers, waitTimeOverrides } });
    const execution: Execution = {
      executionId: randomUUID(),
      status: 'RUNNING',
      taskLog,
      abort: () => run.abort(),
      done: run.result.then(
        (output) => {
          execution.status = 'SUCCEEDED';
          execution.output = output;
        },
        (error: unknown) => {
          execution.status = error instanceof Error && error.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
          execution.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        },
      ),
    };
    this.executions.set(execution.executionId, execution);
    return execution;
  }
}
