/**
 * Workflow task VerifyCohort: the gate after a cohort. Passes to the next cohort unless the
 * failure share crossed the campaign's abort threshold.
 */
import { failurePercent, shouldAbort, tallyJobs, type CohortTally } from '../../core/campaign/progress.ts';
import { handlerStores } from '../shared/context.ts';
import { CampaignNotFoundError } from '../shared/errors.ts';
import { CohortInput, parseInput } from './inputs.ts';

export interface CohortVerdict {
  readonly abort: boolean;
  readonly nextCohort: number;
  readonly failurePercent: number;
  readonly tally: CohortTally;
}

export async function handler(event: unknown): Promise<CohortVerdict> {
  const { campaignId, cohort } = parseInput(CohortInput, event);
  const { campaigns, jobs } = handlerStores();
  const campaign = await campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(`campaign ${campaignId} does not exist`);
  const tally = tallyJobs(await jobs.listCohort(campaignId, cohort));
  return { abort: shouldAbort(tally, campaign.abortFailurePercent), nextCohort: cohort + 1, failurePercent: failurePercent(tally), tally };
}
