/**
 * Workflow task WaitForDownloads / WaitForInstalls (waitForTaskToken): leaves the task token on the
 * campaign, where the edge finds it when the last job of the cohort's phase it drives ends
 * (coap-edge/jobs/PhaseWaker.ts) and ends the wait with SendTaskSuccess. The phase is then
 * evaluated at once, not at the next poll; the task's timeout (the poll interval) is the safety
 * net when no edge wakes it.
 */
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { AwaitInput, parseInput } from './inputs.ts';

export async function awaitPhase(deps: WorkflowDependencies, event: unknown): Promise<Record<string, never>> {
  const { campaignId, cohort, phase, taskToken } = parseInput(AwaitInput, event);
  await deps.stores.campaigns.update(campaignId, { phaseWaiter: { taskToken, cohort, phase, armedAt: Date.now() } });
  return {};
}

export const handler = workflowLambda('awaitPhase', awaitPhase);
