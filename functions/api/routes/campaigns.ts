import { tallyJobs } from '../../../core/campaign/progress.ts';
import { campaignWaiting } from '../../../core/campaign/scheduling.ts';
import { jobView } from '../../../core/jobs/FirmwareJob.ts';
import { dryRunCampaign } from '../dryRunCampaign.ts';
import { parseJsonBody } from '../http.ts';
import { CampaignDefinitionSchema, launchCampaign } from '../launchCampaign.ts';
import { mustFind } from './lookup.ts';
import { actOnCampaign, CAMPAIGN_ACTIONS } from '../campaignActions.ts';
import { ok, type Route } from './types.ts';
import { ApiError } from '../http.ts';
import { createCampaignOnce } from '../createCampaign.ts';
import { followUpRoutes } from './followUps.ts';

/** The Idempotency-Key header (IETF draft-ietf-httpapi-idempotency-key-header): 1..255 visible ASCII characters. */
function idempotencyKeyOf(headers: Readonly<Record<string, string>> | undefined): string | undefined {
  const key = headers?.['idempotency-key'];
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw new ApiError(400, 'INVALID_REQUEST', 'Idempotency-Key: 1 to 255 visible ASCII characters', 'Idempotency-Key');
  return key;
}

/** What each action does to the status (core/campaign/lifecycle.ts), for the OpenAPI document. */
const ACTION_SUMMARIES: Readonly<Record<(typeof CAMPAIGN_ACTIONS)[number], string>> = {
  pause: 'Pause a CREATED or RUNNING campaign: PAUSED at once, no device is released until resumed (409 otherwise)',
  resume: 'Resume a PAUSED campaign: RUNNING at once (409 otherwise)',
  cancel: 'Cancel a campaign that has not ended: CANCELLING at once, CANCELLED when settled; final (409 once cancelling or ended)',
  approve: 'Approve the next cohort of a WAITING_APPROVAL campaign: RUNNING at once (409 otherwise)',
};

export const campaignRoutes: readonly Route[] = [
  { method: 'GET', path: '/campaigns', summary: 'List campaigns', handle: async ({ stores }) => ok({ items: await stores.campaigns.list() }) },
  {
    method: 'GET',
    path: '/campaigns/{campaignId}',
    summary: 'Show a campaign with progress per cohort',
    handle: async ({ stores, clock }, { campaignId = '' }) => {
      const campaign = await mustFind(stores.campaigns.get(campaignId), `campaign ${campaignId}`);
      const waiting = campaignWaiting(campaign, (clock ?? Date.now)());
      const jobs = await stores.jobs.listCampaign(campaign.campaignId);
      const cohorts = new Map<number, typeof jobs>();
      for (const job of jobs) cohorts.set(job.cohort, [...(cohorts.get(job.cohort) ?? []), job]);
      return ok({
        ...campaign,
        ...(waiting === undefined ? {} : { waiting }),
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
      summary: ACTION_SUMMARIES[action],
      handle: async ({ stores, clock, defaultApprovers }, { campaignId = '' }, request) => ok(await actOnCampaign(stores, campaignId, action, request.actor ?? 'anonymous', clock ?? Date.now, defaultApprovers)),
    }),
  ),
  ...followUpRoutes,
  {
    method: 'POST',
    path: '/campaigns/dry-run',
    summary: 'Validate a campaign definition and plan it without creating anything: targeted devices, cohorts, time estimate',
    body: CampaignDefinitionSchema,
    handle: async ({ stores, clock }, _params, request) => ok(await dryRunCampaign(stores, parseJsonBody(request.body), (clock ?? Date.now)())),
  },
  {
    method: 'POST',
    path: '/campaigns',
    summary: 'Create a campaign and start its workflow before answering (`Idempotency-Key` header: a retry answers the first campaign)',
    body: CampaignDefinitionSchema,
    handle: async (deps, _params, request) => {
      const definition = parseJsonBody(request.body);
      const actor = request.actor ?? 'anonymous';
      const key = idempotencyKeyOf(request.headers);
      return ok(await (key === undefined ? launchCampaign(deps.stores, deps.starter, definition, { actor }) : createCampaignOnce(deps.stores, deps.starter, { actor, idempotencyKey: key, definition })), 201);
    },
  },
];
