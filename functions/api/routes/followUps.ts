/** POST /campaigns/{id}/relaunch and /rollback: new campaigns made from a finished one (followUpCampaigns.ts). */
import { z } from 'zod';
import { relaunchCampaign, rollbackCampaign } from '../followUpCampaigns.ts';
import { parseJsonBody } from '../http.ts';
import { validate } from '../schemas.ts';
import { ok, type Route } from './types.ts';

export const RelaunchRequestSchema = z.object({ failedOnly: z.boolean().default(false) }).strict();
export const RollbackRequestSchema = z.object({ dryRun: z.boolean().default(false) }).strict();

/** An optional JSON body: none means every field's default. */
const optionalBody = (body: string | undefined): unknown => (body === undefined || body.trim() === '' ? {} : parseJsonBody(body));

export const followUpRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: '/campaigns/{campaignId}/relaunch',
    summary: 'Create a campaign with the same definition over the devices that failed or were not reached (`failedOnly`: only those that failed); 409 while the campaign runs or when none is left',
    body: RelaunchRequestSchema,
    handle: async ({ stores, starter }, { campaignId = '' }, request) => {
      const { failedOnly } = validate(RelaunchRequestSchema, optionalBody(request.body));
      return ok(await relaunchCampaign(stores, starter, campaignId, { actor: request.actor ?? 'anonymous', failedOnly }), 201);
    },
  },
  {
    method: 'POST',
    path: '/campaigns/{campaignId}/rollback',
    summary: 'Take each device the campaign updated back to the image of the version it ran before (one campaign per image, downgrade allowed and audited); `dryRun` answers the plan and creates nothing; devices whose previous image is unknown are named in `excluded`',
    body: RollbackRequestSchema,
    handle: async ({ stores, starter }, { campaignId = '' }, request) => {
      const { dryRun } = validate(RollbackRequestSchema, optionalBody(request.body));
      return ok(await rollbackCampaign(stores, starter, campaignId, { actor: request.actor ?? 'anonymous', dryRun }), dryRun ? 200 : 201);
    },
  },
];
