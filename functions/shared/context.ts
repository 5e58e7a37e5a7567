/**
 * Per-process context of a Lambda handler: configuration read and clients built once, on first
 * use (a Lambda container reuses them across invocations; the local runner shares one process).
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { loadStoreConfig } from '../../store/config.ts';
import { createStores, type Stores } from '../../store/Stores.ts';

let stores: Stores | undefined;

export function handlerStores(): Stores {
  stores ??= createStores(loadStoreConfig());
  return stores;
}

/** For the local stack and tests: use these stores instead of reading the environment. */
export function useHandlerStores(value: Stores | undefined): void {
  stores = value;
}

/** Starts a workflow execution: Step Functions in AWS, the local runner at home. */
export interface WorkflowExecutions {
  start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<string>;
}

let executions: WorkflowExecutions | undefined;

export function handlerExecutions(): WorkflowExecutions {
  if (executions === undefined) {
    const sfn = new SFNClient({});
    executions = {
      start: async (stateMachineArn, name, input) => {
        const result = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return result.executionArn ?? name;
      },
    };
  }
  return executions;
}

export function useHandlerExecutions(value: WorkflowExecutions | undefined): void {
  executions = value;
}
