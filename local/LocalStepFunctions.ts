/**
 * Runs the synthesized campaign workflow with aws-local-stepfunctions, each Lambda task mapped to
 * the same handler function the deployed Lambda runs. The interface is the small part of Step
 * Functions the product uses: start an execution, look at it, wait for it.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { SynthesizedWorkflow } from './synthesizedWorkflow.ts';
import type { Stores } from '../store/Stores.ts';
import { emfMetricsSink } from '../store/metrics.ts';
import { FotaMetricService } from '../core/metrics.ts';
import { workflowTasks, type WorkflowTasks } from '../functions/workflow/tasks.ts';
import type { WorkflowDependencies } from '../functions/shared/dependencies.ts';
import { createFunctionsLogger, createFunctionsTracer, type FunctionsLogLevel } from '../functions/shared/observability.ts';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface LocalStepFunctionsOptions {
  /** The stores the workflow's tasks use: the local stack's. */
  readonly stores: Stores;
  /** Override every Wait state with this many milliseconds (time compression). */
  readonly waitOverrideMs?: number;
  /** Level of the tasks' Powertools logs. @default 'warn' */
  readonly logLevel?: FunctionsLogLevel;
}

/** The placeholder ARN the local state machine answers to in `$$.StateMachine.Id`. */
export const LOCAL_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:local-campaign';

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

/**
 * What the executions of this runner did, in the units AWS bills them: state transitions (Standard
 * workflows), and the Lambda invocations of Task states with their duration.
 */
export interface WorkflowUsage {
  executions: number;
  stateTransitions: number;
  taskInvocations: number;
  taskMilliseconds: number;
}

export interface WorkflowStarter {
  startExecution(input: Record<string, unknown>, name?: string): Promise<Execution>;
}

export class LocalStepFunctions implements WorkflowStarter {
  private readonly machine: StateMachine;
  /** What the workflow's tasks are given here: the local stack's stores, this runner, Powertools. */
  readonly dependencies: WorkflowDependencies;
  private readonly tasks: WorkflowTasks;
  readonly executions = new Map<string, Execution>();
  readonly usage: WorkflowUsage = { executions: 0, stateTransitions: 0, taskInvocations: 0, taskMilliseconds: 0 };

  constructor(
    private readonly workflow: SynthesizedWorkflow,
    private readonly options: LocalStepFunctionsOptions,
  ) {
    this.dependencies = {
      stores: options.stores,
      // ContinueAsNew starts the next execution through the same small interface as in AWS.
      executions: { start: async (_arn, name, input) => (await this.startExecution(input, name)).executionId },
      metrics: emfMetricsSink(FotaMetricService.Workflow),
      logger: createFunctionsLogger('workflow', options.logLevel ?? 'warn'),
      tracer: createFunctionsTracer('workflow'),
    };
    this.tasks = workflowTasks(this.dependencies);
    this.machine = new StateMachine(workflow.definition as unknown as ConstructorParameters<typeof StateMachine>[0], {
      validationOptions: { checkArn: true, checkPaths: true },
    });
  }

  /**
   * Starts an execution named `name` (a fresh id without one). As Step Functions does for a
   * Standard workflow, a name already used answers the execution that has it: never a second run.
   */
  async startExecution(input: Record<string, unknown>, name?: string): Promise<Execution> {
    const existing = name === undefined ? undefined : this.executions.get(name);
    if (existing !== undefined) return existing;
    const taskLog: string[] = [];
    const taskErrors: string[] = [];
    const taskResourceLocalHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const [stateName, handlerName] of this.workflow.taskHandlers) {
      taskResourceLocalHandlers[stateName] = async (event) => {
        taskLog.push(stateName);
        this.usage.taskInvocations++;
        const started = performance.now();
        try {
          return (await this.tasks[handlerName](event)) as JsonValue;
        } catch (error) {
          // Kept for the operator: in AWS the same error is in the execution history.
          taskErrors.push(`${stateName}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
          throw error;
        } finally {
          this.usage.taskMilliseconds += performance.now() - started;
        }
      };
    }
    const waitTimeOverrides: Record<string, number> = {};
    if (this.options.waitOverrideMs !== undefined) {
      for (const [name, state] of Object.entries(this.workflow.definition.States)) {
        if (state.Type === 'Wait') waitTimeOverrides[name] = this.options.waitOverrideMs;
      }
    }
    const executionId = name ?? randomUUID();
    const run = this.machine.run(input as JsonValue, {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides },
      context: { StateMachine: { Id: LOCAL_STATE_MACHINE_ARN, Name: 'local-campaign' }, Execution: { Id: `${LOCAL_STATE_MACHINE_ARN}:${executionId}`, Input: input as JsonValue, StartTime: new Date().toISOString() } },
    });
    this.usage.executions++;
    // Step Functions bills every state entered (Map iterations' states included) as a transition.
    const counting = async (): Promise<void> => {
      for await (const event of run.eventLogs) if (event.type === 'StateEntered') this.usage.stateTransitions++;
    };
    counting().catch(() => undefined); // an aborted execution ends its event log with an error; its transitions are counted
    const execution: Execution = {
      executionId,
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
          execution.error = [error instanceof Error ? `${error.name}: ${error.message}` : String(error), ...taskErrors].join('; ');
        },
      ),
    };
    this.executions.set(execution.executionId, execution);
    return execution;
  }
}
