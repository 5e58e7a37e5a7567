/**
 * Runs the synthesized campaign workflow with aws-local-stepfunctions, each Lambda task mapped to
 * the same handler function the deployed Lambda runs. The interface is the small part of Step
 * Functions the product uses: start an execution, look at it, wait for it.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition, AslState, SynthesizedWorkflow } from './synthesizedWorkflow.ts';
import type { Stores } from '../store/Stores.ts';
import { emfMetricsSink } from '../store/metrics.ts';
import { FotaMetricService } from '../core/metrics.ts';
import { workflowTasks, type WorkflowTasks } from '../functions/workflow/tasks.ts';
import type { WorkflowDependencies } from '../functions/shared/dependencies.ts';
import { createFunctionsLogger, untraced, type FunctionsLogLevel } from '../functions/shared/observability.ts';

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

/** Ends a task that waits for a task token (Step Functions' SendTaskSuccess). */
export interface TaskTokenCallbacks {
  /** False when no task waits for this token any more (it timed out, or was ended before). */
  sendTaskSuccess(taskToken: string, output?: JsonValue): Promise<boolean>;
}

interface TokenWait {
  readonly taskToken: string;
  readonly end: (output: JsonValue) => void;
}

/**
 * aws-local-stepfunctions 3 has no task tokens: here a callback state (`.waitForTaskToken`) runs
 * its handler with the Payload, whose `$$.Task.Token` is a token minted per wait, then waits until
 * `sendTaskSuccess` names that token; the state's own TimeoutSecondsPath still times it out.
 */
export class LocalStepFunctions implements WorkflowStarter, TaskTokenCallbacks {
  private readonly machine: StateMachine;
  /** What the workflow's tasks are given here: the local stack's stores, this runner, Powertools. */
  readonly dependencies: WorkflowDependencies;
  private readonly tasks: WorkflowTasks;
  readonly executions = new Map<string, Execution>();
  /** The wait of each execution that is in a callback state: one at a time per execution. */
  private readonly tokenWaits = new Map<string, TokenWait>();
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
      tracer: untraced,
    };
    this.tasks = workflowTasks(this.dependencies);
    this.machine = new StateMachine(withLocalTimeouts(workflow) as unknown as ConstructorParameters<typeof StateMachine>[0], {
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
    const executionId = name ?? randomUUID();
    let waits = 0;
    // Read by `$$.Task.Token` when a callback state's Parameters are evaluated: a new token per wait.
    const task = { get Token(): string { return `${executionId}/${waits}`; } };
    const taskResourceLocalHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const [stateName, handlerName] of this.workflow.taskHandlers) {
      const callback = this.workflow.callbackStates.has(stateName);
      taskResourceLocalHandlers[stateName] = async (event) => {
        taskLog.push(stateName);
        this.usage.taskInvocations++;
        // Billed Lambda time is the handler's run: a callback state's wait is Step Functions' (free).
        const invoke = async (payload: unknown): Promise<unknown> => {
          const started = performance.now();
          try {
            return await this.tasks[handlerName](payload);
          } finally {
            this.usage.taskMilliseconds += performance.now() - started;
          }
        };
        try {
          if (!callback) return (await invoke(event)) as JsonValue;
          waits++;
          return await this.waitForToken(executionId, (event as { Payload: JsonValue }).Payload, invoke);
        } catch (error) {
          // Kept for the operator: in AWS the same error is in the execution history.
          taskErrors.push(`${stateName}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
          throw error;
        }
      };
    }
    const waitTimeOverrides: Record<string, number> = {};
    if (this.options.waitOverrideMs !== undefined) {
      for (const [name, state] of Object.entries(this.workflow.definition.States)) {
        if (state.Type === 'Wait') waitTimeOverrides[name] = this.options.waitOverrideMs;
      }
    }
    const run = this.machine.run(input as JsonValue, {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides },
      context: { StateMachine: { Id: LOCAL_STATE_MACHINE_ARN, Name: 'local-campaign' }, Execution: { Id: `${LOCAL_STATE_MACHINE_ARN}:${executionId}`, Input: input as JsonValue, StartTime: new Date().toISOString() }, Task: task as unknown as JsonValue },
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
      done: run.result.finally(() => this.tokenWaits.delete(executionId)).then(
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

  async sendTaskSuccess(taskToken: string, output: JsonValue = {}): Promise<boolean> {
    const executionId = taskToken.slice(0, taskToken.lastIndexOf('/'));
    const wait = this.tokenWaits.get(executionId);
    if (wait?.taskToken !== taskToken) return false;
    this.tokenWaits.delete(executionId);
    wait.end(output);
    return true;
  }

  /**
   * Runs a callback state's handler, then waits for its token. With `waitOverrideMs` (tests that
   * shorten every Wait), the wait ends after that long too, as a timed-out wait would.
   */
  private async waitForToken(executionId: string, payload: JsonValue, run: (payload: unknown) => Promise<unknown>): Promise<JsonValue> {
    const taskToken = (payload as { taskToken?: unknown } | null)?.taskToken;
    if (typeof taskToken !== 'string') throw new Error('a callback state passes its task token in Payload.taskToken');
    const ended = new Promise<JsonValue>((resolve) => this.tokenWaits.set(executionId, { taskToken, end: resolve }));
    await run(payload);
    const override = this.options.waitOverrideMs;
    if (override === undefined) return ended;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([ended, new Promise<JsonValue>((resolve) => (timer = setTimeout(() => resolve({}), override)))]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * aws-local-stepfunctions evaluates a Task's TimeoutSecondsPath against the state's effective input
 * (its Parameters: `{ FunctionName, Payload }` for a Lambda invoke), Step Functions against the
 * state's input. A callback state repeats the value in `Payload.timeoutSeconds`, and the runner's
 * copy of the definition points its TimeoutSecondsPath there: the same timeout, the same
 * States.Timeout, the same Catch.
 */
function withLocalTimeouts(workflow: SynthesizedWorkflow): AslDefinition {
  const states: Record<string, AslState> = { ...workflow.definition.States };
  for (const name of workflow.callbackStates) {
    const state = states[name];
    const path = state?.['TimeoutSecondsPath'];
    if (state === undefined || path === undefined) continue;
    const payload = (state['Parameters'] as { Payload?: Record<string, unknown> } | undefined)?.Payload;
    if (payload?.['timeoutSeconds.$'] !== path) throw new Error(`callback state ${name} must repeat its TimeoutSecondsPath ${String(path)} as Payload.timeoutSeconds for the local runner`);
    states[name] = { ...state, TimeoutSecondsPath: '$.Payload.timeoutSeconds' };
  }
  return { ...workflow.definition, States: states };
}
