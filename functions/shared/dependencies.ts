/**
 * What the handlers are given: no handler reaches for a module-global store or client. The
 * Lambda entry builds these from the environment (awsDependencies.ts), the local stack from its
 * own stores and runner (local/LocalStack.ts, local/LocalStepFunctions.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MetricsSink } from '../../store/metrics.ts';
import type { FunctionsTracer } from './observability.ts';
import type { Stores } from '../../store/Stores.ts';
import type { ApiDependencies } from '../api/routes/types.ts';

/** Starts a workflow execution: Step Functions in AWS, the local runner at home. */
export interface WorkflowExecutions {
  start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<string>;
}

export interface WorkflowDependencies {
  readonly stores: Stores;
  readonly executions: WorkflowExecutions;
  readonly metrics: MetricsSink;
  /** In a task: the invocation's logger, carrying its campaign id. */
  readonly logger: Logger;
  readonly tracer: FunctionsTracer;
}

/** A workflow task: its dependencies, then the state's input. */
export type WorkflowTask<T> = (deps: WorkflowDependencies, event: unknown) => Promise<T>;

/** The API's Lambda handler: the router's dependencies, and where it logs and traces. */
export interface ApiHandlerDependencies extends ApiDependencies {
  readonly logger: Logger;
  readonly tracer: FunctionsTracer;
}
