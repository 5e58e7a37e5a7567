/**
 * Four eyes (issue 16, item 6): a campaign that asks for two people (`approvers: 2`, or the
 * stage's default) may not be approved by the person who created it. Pure.
 */
import type { Campaign } from './Campaign.ts';

/** Why `actor` may not approve `campaign`, or undefined when they may. */
export function approvalRefusal(campaign: Pick<Campaign, 'approvers' | 'createdBy'>, actor: string, defaultApprovers: number): string | undefined {
  const approvers = campaign.approvers ?? defaultApprovers;
  if (approvers < 2) return undefined;
  if (campaign.createdBy === undefined || campaign.createdBy !== actor) return undefined;
  return `this campaign needs ${approvers} people: its creator (${actor}) may not approve it; another approver must`;
}
