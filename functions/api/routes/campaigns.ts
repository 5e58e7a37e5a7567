import { tallyJobs } from '../../../core/campaign/progress.ts';
import { jobView } from '../../../core/jobs/FirmwareJob.ts';
import { dryRunCampaign } from '../dryRunCampaign.ts';
import { parseJsonBody } from '../http.ts';
import { CampaignDefinitionSchema, launchCampaign } from '../launchCampaign.ts';
import { mustFind } from './lookup.ts';
import { actOnCampaign, CAMPAIGN_ACTIONS } from '../campaignActions.ts';
import { ok, type Route } from './types.ts';

export const campaignRoutes: readonly Route[] = [
  { method: 'GET', path: '/campaigns', summary: 'List campaigns', handle: async ({ stores }) => ok({ items: await stores.campaigns.list() }) },
  {
    method: 'GET',
    path: '/campaigns/{campaignId}',
    summary: 'Show a campaign with progress per cohort',
    handle: async ({ stores }, { campaignId = '' }) => {
      const campaign = await mustFind(stores.campaigns.get(campaignId), `campaign ${campaignId}`);
      const jobs = await stores.jobs.listCampaign(campaign.campaignId);
      const cohorts = new Map<number, typeof jobs>();
      for (const job of jobs) cohorts.set(job.cohort, [...(cohorts.get(job.cohort) ?? []), job]);
      return ok({
        ...campaign,
        progress: tallyJobs(jobs),
        cohortProgress: [...cohorts].sort(([a], [b]) => a - b).map(([cohort, cohortJobs]) => ({ cohort, ...tallyJobs(cohortJobs) })),
      });
    },
  },
  {
    method: 'GET',
    path: '/campaigns/{campaignId}/jobs',
    summary: "List a campaign's per-device jobs with their history",
    handle: async ({ stores }, { campaignId = '' }) => {
      await mustFind(stores.campaigns.get(campaignId), `campaign ${campaignId}`);
      // Without download tokens: a reader of the API must not be able to fetch the firmware.
      return ok({ items: (await stores.jobs.listCampaign(campaignId)).map(jobView) });
    },
  },
  ...CAMPAIGN_ACTIONS.map(
    (action): Route => ({
      method: 'POST',
      path: `/campaigns/{campaignId}/${action}`,
      summary: `${action[0]?.toUpperCase()}${action.slice(1)} a campaign (recorded in its audit trail; 409 when not allowed in its state)`,
      handle: async ({ stores, clock }, { campaignId = '' }, request) => ok(await actOnCampaign(stores, campaignId, action, request.actor ?? 'anonymous', (clock ?? Date.now)())),
    }),
  ),
  {
    method: 'POST',
    path: '/campaigns/dry-run',
    summary: 'Validate a campaign definition and plan it without creating anything: targeted devices, cohorts, time estimate',
    body: CampaignDefinitionSchema,
    handle: async ({ stores }, _params, request) => ok(await dryRunCampaign(stores, parseJsonBody(request.body))),
  },
  {
    method: 'POST',
    path: '/campaigns',
    summary: 'Create a campaign and start its workflow',
    body: CampaignDefinitionSchema,
    handle: async (deps, _params, request) => ok(await launchCampaign(deps.stores, deps.starter, parseJsonBody(request.body)), 201),
  },
];
