/**
 * Task tokens handed back to Step Functions (the campaign workflow's phase waits): the AWS side of
 * PhaseWaker's TaskTokenSender. A token whose wait is over (timed out into the poll, or ended by
 * another edge task) is not an error: the workflow is already evaluating.
 */
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskTokenSender } from './PhaseWaker.ts';

const WAIT_OVER: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export class SfnTaskTokens implements TaskTokenSender {
  constructor(private readonly sfn: SFNClient) {}

  async sendTaskSuccess(taskToken: string): Promise<boolean> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));
      return true;
    } catch (error) {
      if (error instanceof Error && WAIT_OVER.has(error.name)) return false;
      throw error;
    }
  }
}
