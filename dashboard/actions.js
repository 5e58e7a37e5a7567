// The campaign actions the signed-in person may take: pause, resume, cancel, approve. Which ones
// the caller's roles allow comes from GET /whoami (a viewer gets none: no buttons); which ones the
// campaign's status allows comes from the lifecycle (core/campaign/lifecycle.ts). The API decides
// in the end: a refusal (four eyes, a status that moved on, IAM) is shown as the API words it.
import { postAction } from './api.js';
import { el } from './views.js';

/** Statuses each action is allowed from (the lifecycle table's, for offering buttons only). */
const ALLOWED_FROM = {
  pause: ['CREATED', 'RUNNING'],
  resume: ['PAUSED'],
  cancel: ['CREATED', 'RUNNING', 'PAUSED', 'WAITING_APPROVAL'],
  approve: ['WAITING_APPROVAL'],
};

/** Draws one button per action both the caller's roles and the campaign's status allow. */
export function renderActions(nodes, view, allowedActions, busy) {
  const offered = Object.keys(ALLOWED_FROM).filter((action) => allowedActions.includes(action) && ALLOWED_FROM[action].includes(view.status));
  const current = [...nodes.buttons.querySelectorAll('button')].map((button) => button.dataset.action).join(',');
  if (current !== offered.join(',')) {
    nodes.buttons.replaceChildren(...offered.map((action) => el('button', { type: 'button', className: `action action-${action}`, dataset: { action } }, action[0].toUpperCase() + action.slice(1))));
  }
  for (const button of nodes.buttons.querySelectorAll('button')) button.disabled = busy;
}

/** Sends the action; resolves to the message to show (what the campaign is now, or why it was refused). */
export async function takeAction(campaignId, action) {
  try {
    const campaign = await postAction(`/campaigns/${encodeURIComponent(campaignId)}/${action}`);
    return { ok: true, text: `${action}: the campaign is now ${campaign.status}` };
  } catch (error) {
    return { ok: false, text: `${action} refused: ${error.message}` };
  }
}
