/** GET /whoami: the caller as the API sees it, and the campaign actions its roles allow (the dashboard offers only those). */
import { rolesAllow } from '../../../core/access/roles.ts';
import { CAMPAIGN_ACTIONS } from '../campaignActions.ts';
import { ok, type Route } from './types.ts';

export const accessRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/whoami',
    summary: "The caller's identity and roles, and which campaign actions they allow (none for a principal that is not one of the stack's roles; every one for the local user without a role)",
    handle: async (_deps, _params, request) => {
      const roles = request.roles;
      const actions = CAMPAIGN_ACTIONS.filter((action) => roles === undefined || rolesAllow(roles, 'POST', `/campaigns/x/${action}`));
      return ok({ actor: request.actor ?? 'anonymous', ...(roles === undefined ? {} : { roles }), actions });
    },
  },
];
