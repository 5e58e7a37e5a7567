/** Step Functions' StartExecution, as the API (a campaign's first execution) and ContinueAsNew use it. */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStarter } from '../api/launchCampaign.ts';
import type { WorkflowExecutions } from './dependencies.ts';

/**
 * Starts the execution and waits for Step Functions to accept it before the API answers (a
 * started-later promise can be frozen with the Lambda). The name is the campaign id: an execution
 * that already has it (a retried create) counts as started.
 */
export class StepFunctionsStarter implements ExecutionStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async startExecution(input: Record<string, unknown>, name: string): Promise<{ executionId: string }> {
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    }
    return { executionId: name };
  }
}

export function stepFunctionsExecutions(sfn: SFNClient): WorkflowExecutions {
  return {
    start: async (stateMachineArn, name, input) => {
      const result = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return result.executionArn ?? name;
    },
  };
}
