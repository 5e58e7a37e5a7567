/**
 * `fota campaigns relaunch <id> [--failed-only]` and `fota campaigns rollback <id> [--dry-run]`:
 * new campaigns made from a finished one (POST /campaigns/{id}/relaunch and /rollback).
 */
import type { Command } from 'commander';
import type { Campaign } from '../core/campaign/Campaign.ts';
import type { RollbackOutcome } from '../functions/api/followUpCampaigns.ts';
import type { CampaignCommandContext } from './campaignCommands.ts';
import { formatTable } from './terminal.ts';

const path = (id: string, suffix: string): string => `/campaigns/${encodeURIComponent(id)}${suffix}`;

export function addFollowUpCommands(campaigns: Command, cli: CampaignCommandContext): void {
  campaigns
    .command('relaunch <campaignId>')
    .description('a new campaign with the same definition over the devices that failed or were not reached')
    .option('--failed-only', 'only the devices that failed')
    .action(async (id: string, opts: { failedOnly?: boolean }) => {
      const campaign = await cli.api().post<Campaign & { executionId: string }>(path(id, '/relaunch'), { failedOnly: opts.failedOnly === true });
      const endpoints = campaign.target.endpoints ?? [];
      cli.print(campaign, () => `campaign ${campaign.campaignId} started over ${endpoints.length} device(s): ${endpoints.join(' ')}`);
    });

  campaigns
    .command('rollback <campaignId>')
    .description('take each device this campaign updated back to the image it ran before (one campaign per image, downgrade allowed and audited)')
    .option('--dry-run', 'show the plan only: which devices go back to which image, which are left out and why')
    .action(async (id: string, opts: { dryRun?: boolean }) => {
      const outcome = await cli.api().post<RollbackOutcome>(path(id, '/rollback'), { dryRun: opts.dryRun === true });
      cli.print(outcome, () => describeRollback(outcome));
    });
}

function describeRollback(outcome: RollbackOutcome): string {
  const created = new Map(outcome.campaigns.map((c) => [c.imageId, c.campaignId]));
  return [
    outcome.dryRun ? 'rollback plan (dry run: nothing was created)' : `rollback: ${outcome.campaigns.length} campaign(s) started`,
    formatTable([['back to version', 'image', 'devices', 'campaign', 'endpoints'], ...outcome.groups.map((g) => [g.version, g.imageId, g.endpoints.length, created.get(g.imageId) ?? '', g.endpoints.join(' ')])], [2]),
    ...(outcome.excluded.length === 0 ? [] : [formatTable([['left out', 'ran before', 'why'], ...outcome.excluded.map((e) => [e.endpoint, e.previousVersion ?? '', e.reason])])]),
  ].join('\n\n');
}
