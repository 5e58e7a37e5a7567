/**
 * Workflow task EvaluateDownloads / EvaluateInstalls: one monitor tick of the cohort's phase, the
 * next poll interval (longer while nothing changes), and a hand-over to a fresh execution before
 * the history grows large.
 */
import { MAX_POLLS_PER_EXECUTION } from '../../core/campaign/workflowStates.ts';
import type { CohortTally } from '../../core/campaign/progress.ts';
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { EvaluateInput, parseInput, type PhaseState } from './inputs.ts';
import { nextPoll, tickCohortPhase } from './cohortPhase.ts';

export async function evaluatePhase(deps: WorkflowDependencies, event: unknown): Promise<PhaseState & { tally: CohortTally; abortReason?: string }> {
  const { campaignId, cohort, phase, polls, pollSeconds, startedAt } = parseInput(EvaluateInput, event);
  const { stores } = deps;
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const tick = await tickCohortPhase(stores, campaign, cohort, phase, startedAt, Date.now(), pollSeconds);
  if (tick.abortReason !== undefined) await stores.campaigns.update(campaignId, { abortReason: tick.abortReason });
  return {
    phase,
    complete: tick.complete,
    abort: tick.abort,
    cancel: tick.cancel,
    continueAsNew: polls + 1 >= MAX_POLLS_PER_EXECUTION,
    pollSeconds: nextPoll(campaign, pollSeconds, tick.changed),
    polls: polls + 1,
    startedAt,
    tally: tick.tally,
    ...(tick.abortReason === undefined ? {} : { abortReason: tick.abortReason }),
  };
}

export const handler = workflowLambda('evaluatePhase', evaluatePhase);
