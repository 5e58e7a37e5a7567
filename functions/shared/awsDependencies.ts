/**
 * The composition root of a Lambda container: configuration read, stores, clients, Logger,
 * Metrics and Tracer built once, on the first invocation (a container reuses them across
 * invocations). The local stack builds the same dependencies from its own stores instead.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { FotaMetricService } from '../../core/metrics.ts';
import { loadStoreConfig } from '../../store/config.ts';
import { emfMetricsSink } from '../../store/metrics.ts';
import { createStores, type Stores } from '../../store/Stores.ts';
import type { WorkflowHandler } from '../../core/campaign/workflowStates.ts';
import type { ApiHandlerDependencies, WorkflowDependencies, WorkflowTask } from './dependencies.ts';
import { observedTask, type BoundTask } from './observedTask.ts';
import { createFunctionsLogger, createFunctionsTracer, type FunctionsComponent } from './observability.ts';
import { StepFunctionsStarter, stepFunctionsExecutions } from './stepFunctions.ts';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** Stores whose SDK clients are traced (each AWS call a subsegment) and a traced Step Functions client. */
async function tracedClients(component: FunctionsComponent): Promise<{ tracer: Tracer; stores: Stores; sfn: SFNClient }> {
  const tracer = await createFunctionsTracer(component);
  const stores = createStores(loadStoreConfig());
  tracer.captureAWSv3Client(stores.clients.dynamoClient);
  tracer.captureAWSv3Client(stores.clients.s3);
  return { tracer, stores, sfn: tracer.captureAWSv3Client(new SFNClient({})) };
}

export async function awsWorkflowDependencies(): Promise<WorkflowDependencies> {
  const { tracer, stores, sfn } = await tracedClients('workflow');
  return { stores, executions: stepFunctionsExecutions(sfn), metrics: emfMetricsSink(FotaMetricService.Workflow), logger: createFunctionsLogger('workflow'), tracer };
}

export async function awsApiDependencies(): Promise<ApiHandlerDependencies> {
  const { tracer, stores, sfn } = await tracedClients('api');
  // The stage's four-eyes default (FOTA_DEFAULT_APPROVERS), read once per container.
  const defaultApprovers = loadStoreConfig().defaultApprovers ?? 1;
  return { stores, starter: new StepFunctionsStarter(sfn, process.env['FOTA_STATE_MACHINE_ARN'] ?? ''), defaultApprovers, logger: createFunctionsLogger('api'), tracer };
}

/**
 * A Lambda handler whose dependencies are built on its first invocation, then kept for the
 * container's life; a build that failed is tried again by the next invocation.
 */
export function lambdaEntry<E, R>(build: () => Promise<(event: E) => Promise<R>>): (event: E) => Promise<R> {
  let handle: Promise<(event: E) => Promise<R>> | undefined;
  return async (event) => {
    handle ??= build().catch((error: unknown) => {
      handle = undefined;
      throw error;
    });
    return (await handle)(event);
  };
}

/** A workflow task as its Lambda function's handler. */
export function workflowLambda<T>(name: WorkflowHandler, task: WorkflowTask<T>): BoundTask<T> {
  return lambdaEntry(async () => observedTask(name, task, await awsWorkflowDependencies()));
}
