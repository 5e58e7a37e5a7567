/**
 * Workflow task StartDownloadPhase / StartInstallPhase: records the cohort's phase on the
 * campaign and runs the first tick (the first devices are released at once).
 */
import { workflowLambda } from '../shared/awsDependencies.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { parseInput, PhaseInput, type PhaseState } from './inputs.ts';
import { tickCohortPhase } from './cohortPhase.ts';

export async function startPhase(deps: WorkflowDependencies, event: unknown): Promise<PhaseState> {
  const { campaignId, cohort, phase } = parseInput(PhaseInput, event);
  const { stores } = deps;
  const campaign = await stores.campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const now = Date.now();
  await stores.campaigns.update(campaignId, { currentCohort: cohort, phase });
  const tick = await tickCohortPhase(stores, campaign, cohort, phase, now, now, campaign.pollSeconds);
  return { phase, complete: false, abort: tick.abort, cancel: tick.cancel, continueAsNew: false, pollSeconds: campaign.pollSeconds, polls: 0, startedAt: now };
}

export const handler = workflowLambda('startPhase', startPhase);
