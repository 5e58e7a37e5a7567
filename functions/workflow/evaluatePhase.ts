/**
 * Workflow task EvaluateDownloads / EvaluateInstalls: one monitor tick of the cohort's phase, the
 * next poll interval (longer while nothing changes), and a hand-over to a fresh execution before
 * the history grows large. When the installs of a cohort are complete it runs the cohort's gate
 * (cohortGate.ts) too, so the workflow goes on without a state of its own for it.
 */
import { MAX_POLLS_PER_EXECUTION } from '../../core/campaign/workflowStates.ts';
import type { CohortTally } from '../../core/campaign/progress.ts';
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { EvaluateInput, parseInput, type PhaseState } from './inputs.ts';
import { nextPoll, tickCohortPhase } from './cohortPhase.ts';
import { cohortGate, notDecided, type CohortGate } from './cohortGate.ts';

export interface PhaseEvaluation extends PhaseState {
  readonly tally: CohortTally;
  readonly abortReason?: string;
  /** The cohort's gate once its installs are complete; before that, nothing decided (`notDecided`). */
  readonly gate: CohortGate;
}

export async function evaluatePhase(deps: WorkflowDependencies, event: unknown): Promise<PhaseEvaluation> {
  const { campaignId, cohort, phase, polls, pollSeconds, startedAt } = parseInput(EvaluateInput, event);
  const { stores } = deps;
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const now = Date.now();
  const tick = await tickCohortPhase(stores, campaign, cohort, phase, startedAt, now, pollSeconds);
  if (tick.abortReason !== undefined) await stores.campaigns.update(campaignId, { abortReason: tick.abortReason });
  const gated = phase === 'install' && tick.complete && !tick.abort && !tick.cancel;
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
    // Always present: the workflow's Choice reads its fields, and a path that is missing fails it.
    gate: gated ? await cohortGate(stores, campaign, cohort, tick.tally, now) : notDecided(cohort),
  };
}

export const handler = workflowLambda('evaluatePhase', evaluatePhase);
