/**
 * Workflow task ContinueAsNew: starts a fresh execution that resumes the same cohort and phase,
 * so no execution's history approaches Step Functions' 25,000-event limit, whatever the fleet
 * size or the campaign's duration.
 */
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { ContinueInput, parseInput } from './inputs.ts';

export async function continueAsNew(deps: WorkflowDependencies, event: unknown): Promise<{ executionId: string }> {
  const { campaignId, cohort, phase, stateMachineArn, startedAt } = parseInput(ContinueInput, event);
  const executionId = await deps.executions.start(stateMachineArn, `${campaignId}-c${cohort}-${Date.now()}`, { campaignId, resume: { cohort, phase, startedAt } });
  return { executionId };
}

export const handler = workflowLambda('continueAsNew', continueAsNew);
