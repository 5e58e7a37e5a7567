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
function tracedClients(component: FunctionsComponent): { tracer: Tracer; stores: Stores; sfn: SFNClient } {
  const tracer = createFunctionsTracer(component);
  const stores = createStores(loadStoreConfig());
  tracer.captureAWSv3Client(stores.clients.dynamoClient);
  tracer.captureAWSv3Client(stores.clients.s3);
  return { tracer, stores, sfn: tracer.captureAWSv3Client(new SFNClient({})) };
}

export function awsWorkflowDependencies(): WorkflowDependencies {
  const { tracer, stores, sfn } = tracedClients('workflow');
  return { stores, executions: stepFunctionsExecutions(sfn), metrics: emfMetricsSink(FotaMetricService.Workflow), logger: createFunctionsLogger('workflow'), tracer };
}

export function awsApiDependencies(): ApiHandlerDependencies {
  const { tracer, stores, sfn } = tracedClients('api');
  // The stage's four-eyes default (FOTA_DEFAULT_APPROVERS), read once per container.
  const defaultApprovers = loadStoreConfig().defaultApprovers ?? 1;
  return { stores, starter: new StepFunctionsStarter(sfn, process.env['FOTA_STATE_MACHINE_ARN'] ?? ''), defaultApprovers, logger: createFunctionsLogger('api'), tracer };
}

/** A Lambda handler whose dependencies are built on its first invocation, then kept for the container's life. */
export function lambdaEntry<E, R>(build: () => (event: E) => Promise<R>): (event: E) => Promise<R> {
  let handle: ((event: E) => Promise<R>) | undefined;
  return (event) => {
    handle ??= build();
    return handle(event);
  };
}

/** A workflow task as its Lambda function's handler. */
export function workflowLambda<T>(name: WorkflowHandler, task: WorkflowTask<T>): BoundTask<T> {
  return lambdaEntry(() => observedTask(name, task, awsWorkflowDependencies()));
}
