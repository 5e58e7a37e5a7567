/**
 * `fota campaigns ...`: create (flags, or a JSON or YAML file), dry-run, list, show, watch (live
 * bars per cohort), pause, resume, cancel, approve, and the per-device report (CSV or JSON).
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { CampaignStatus, FINISHED_CAMPAIGN_STATUSES, type Campaign } from '../core/campaign/Campaign.ts';
import type { CohortTally } from '../core/campaign/progress.ts';
import { describeWaiting, type CampaignWaiting } from '../core/campaign/scheduling.ts';
import { addFollowUpCommands } from './followUpCommands.ts';
import type { FotaConsole } from './fotaConsole.ts';
import type { FirmwareJobView } from '../core/jobs/FirmwareJob.ts';
import type { CampaignDryRun } from '../functions/api/dryRunCampaign.ts';
import { ApiClientError, type ApiClient } from './ApiClient.ts';
import { InvalidArgumentError, type Command } from 'commander';
import { campaignDefinition, number, withCampaignFlags, type CampaignFlags } from './campaignDefinition.ts';
import { createProgressBoard, formatDuration, formatTable } from './terminal.ts';

export interface CampaignCommandContext {
  readonly api: () => ApiClient;
  readonly print: (value: unknown, table: () => string) => void;
  readonly asJson: () => boolean;
  readonly io: FotaConsole;
  readonly setExitCode: (code: number) => void;
}

/** GET /campaigns/{id}: the campaign with its progress, overall and per cohort. */
export type CampaignView = Campaign & { progress: CohortTally; cohortProgress: (CohortTally & { cohort: number })[]; waiting?: CampaignWaiting };

const ACTIONS = {
  pause: 'PAUSED at once: stop releasing devices (devices already updating carry on)',
  resume: 'RUNNING at once: resume a paused campaign',
  cancel: 'CANCELLING at once, CANCELLED when settled: devices not yet updating are reset, updating devices finish; final',
  approve: 'RUNNING at once: approve the next cohort of a campaign waiting for approval',
} as const;

/** `watch` exit codes by how the campaign ended: 0 succeeded, 5 cancelled by an operator, 1 otherwise (4: still going at --timeout). */
const WATCH_EXIT_CANCELLED = 5;

/** Cohort index of devices skipped at planning (planCampaign.ts SKIPPED_COHORT). */
const SKIPPED_COHORT = 9999;

/**
 * Answers worth sending the same create again for, with the same Idempotency-Key (so a retry
 * never makes a second campaign): the API unreachable, the workflow not started, the first try
 * still in progress.
 */
const RETRIED_CREATE_CODES: ReadonlySet<string> = new Set(['UNREACHABLE', 'WORKFLOW_NOT_STARTED', 'REQUEST_IN_PROGRESS']);

async function createWithRetries<T>(create: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof ApiClientError && RETRIED_CREATE_CODES.has(error.code))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

const positive = (value: string): number => {
  const n = number(value);
  if (n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
};

const path = (id: string, suffix = ''): string => `/campaigns/${encodeURIComponent(id)}${suffix}`;
const iso = (at: number | undefined): string => (at === undefined ? '' : new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function addCampaignCommands(program: Command, cli: CampaignCommandContext): void {
  const campaigns = program.command('campaigns').description('rollout campaigns');

  withCampaignFlags(campaigns.command('create').description('create and start a campaign, from flags or a JSON/YAML file'))
    .option('--watch', 'then follow its progress until it ends')
    .option('--idempotency-key <key>', 'send this Idempotency-Key (default: a new one per invocation, reused on retries)')
    .action(async (flags: CampaignFlags & { watch?: boolean; idempotencyKey?: string }) => {
      const definition = await campaignDefinition(flags);
      const key = flags.idempotencyKey ?? randomUUID();
      const campaign = await createWithRetries(() => cli.api().post<Campaign & { executionId: string }>('/campaigns', definition, { 'idempotency-key': key }));
      cli.print(campaign, () => `campaign ${campaign.campaignId} started (execution ${campaign.executionId})`);
      if (flags.watch === true) await watch(cli, campaign.campaignId, 1000, undefined);
    });

  withCampaignFlags(campaigns.command('dry-run').description('validate and plan a campaign without creating it: devices, cohorts, time estimate')).action(async (flags: CampaignFlags) => {
    const plan = await cli.api().post<CampaignDryRun>('/campaigns/dry-run', await campaignDefinition(flags));
    cli.print(plan, () => describeDryRun(plan));
  });

  campaigns
    .command('list')
    .description('list campaigns, newest first')
    .action(async () => {
      const items = (await cli.api().listAll<Campaign>('/campaigns')).sort((a, b) => b.createdAt - a.createdAt);
      cli.print(items, () =>
        formatTable([
          ['campaign', 'name', 'status', 'version', 'cohort', 'created'],
          ...items.map((c) => [c.campaignId, c.name, c.status, c.targetVersion, c.cohortCount === undefined ? '' : `${Math.min((c.currentCohort ?? 0) + 1, c.cohortCount)}/${c.cohortCount}`, iso(c.createdAt)]),
        ], [1, 2, 3]),
      );
    });

  campaigns
    .command('show <campaignId>')
    .description('show a campaign: progress per cohort, failure reasons, audit trail')
    .action(async (id: string) => {
      const view = await cli.api().get<CampaignView>(path(id));
      cli.print(view, () => describeCampaign(view));
    });

  campaigns
    .command('watch <campaignId>')
    .description('live progress bars per cohort until the campaign ends (exit 0 succeeded, 5 cancelled, 1 failed or aborted)')
    .option('--interval <ms>', 'refresh interval', positive, 1000)
    .option('--timeout <seconds>', 'give up after this long (exit 4)', positive)
    .action(async (id: string, opts: { interval: number; timeout?: number }) => watch(cli, id, opts.interval, opts.timeout));

  for (const [action, description] of Object.entries(ACTIONS)) {
    campaigns
      .command(`${action} <campaignId>`)
      .description(description)
      .action(async (id: string) => {
        const campaign = await cli.api().post<Campaign>(path(id, `/${action}`), {});
        // The answer is the campaign after the action; its last audit entry is this action.
        const previous = campaign.audit?.at(-1)?.previous;
        cli.print(campaign, () => `${action}: campaign ${campaign.campaignId} is now ${campaign.status}${previous === undefined ? '' : ` (was ${previous})`}`);
      });
  }

  campaigns
    .command('report <campaignId>')
    .description('per-device report for a change ticket, as CSV or JSON')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--output <file>', 'write the report to this file instead of the standard output')
    .action(async (id: string, opts: { format: string; output?: string }) => {
      if (opts.format !== 'csv' && opts.format !== 'json') throw new Error(`--format: expected csv or json, got ${opts.format}`);
      const [view, jobs] = await Promise.all([cli.api().get<CampaignView>(path(id)), cli.api().listAll<FirmwareJobView>(path(id, '/jobs'))]);
      const text = opts.format === 'json' || cli.asJson() ? `${JSON.stringify(jsonReport(view, jobs), null, 2)}\n` : csvReport(jobs);
      if (opts.output === undefined) cli.io.stdout.write(text);
      else await writeFile(opts.output, text);
    });

  addFollowUpCommands(campaigns, cli);
}

async function watch(cli: CampaignCommandContext, id: string, intervalMs: number, timeoutSeconds: number | undefined): Promise<void> {
  const board = cli.asJson() ? undefined : createProgressBoard(cli.io.stdout);
  const started = Date.now();
  const deadline = timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : started + timeoutSeconds * 1000;
  let view = await cli.api().get<CampaignView>(path(id));
  while (!FINISHED_CAMPAIGN_STATUSES.has(view.status) && Date.now() < deadline) {
    board?.update(watchHeading(view, started), cohortLines(view));
    await new Promise((resolve) => setTimeout(resolve, Math.max(100, intervalMs)));
    view = await cli.api().get<CampaignView>(path(id));
  }
  board?.update(watchHeading(view, started), cohortLines(view), true);
  board?.stop();
  cli.print(view, () => describeCampaign(view));
  if (!FINISHED_CAMPAIGN_STATUSES.has(view.status)) {
    cli.io.stderr.write(`fota: campaign ${id} still ${view.status} after ${timeoutSeconds ?? 0} s\n`);
    cli.setExitCode(4);
  } else if (view.status === CampaignStatus.Cancelled) {
    cli.setExitCode(WATCH_EXIT_CANCELLED);
  } else if (view.status !== CampaignStatus.Succeeded) {
    cli.setExitCode(1);
  }
}

function watchHeading(view: CampaignView, started: number): string {
  const cohort = view.cohortCount === undefined ? '' : `, cohort ${Math.min((view.currentCohort ?? 0) + 1, view.cohortCount)}/${view.cohortCount}`;
  return `${view.name}: ${view.status}${view.phase === undefined ? '' : ` (${view.phase})`}${cohort}, ${formatDuration((Date.now() - started) / 1000)}`;
}

function cohortLines(view: CampaignView) {
  return view.cohortProgress
    .filter((c) => c.cohort !== SKIPPED_COHORT)
    // Done means updated or failed: a cancelled device is not done, so an aborted cohort never shows a full bar.
    .map((c) => ({ label: `cohort ${c.cohort}`, done: c.succeeded + c.failed, total: c.total - c.skipped, detail: progressDetail(c) }));
}

/** `ok 3, failed 1, in progress 2, pending 4, cancelled 0`: every count, so they add up. */
function progressDetail(c: CohortTally): string {
  return `ok ${c.succeeded}, failed ${c.failed}, in progress ${c.inProgress}, pending ${c.pending}${c.cancelled === 0 ? '' : `, cancelled ${c.cancelled}`}`;
}

const progressRow = (c: CohortTally): number[] => [c.total, c.pending, c.inProgress, c.succeeded, c.failed, c.skipped, c.cancelled];

export function describeCampaign(view: CampaignView): string {
  const cohortName = (cohort: number): string => (cohort === SKIPPED_COHORT ? 'skipped' : String(cohort));
  return [
    `campaign ${view.campaignId} "${view.name}": ${view.status}, target version ${view.targetVersion}, image ${view.imageId}`,
    ...(view.waiting === undefined ? [] : [describeWaiting(view.waiting)]),
    formatTable([
      ['cohort', 'devices', 'pending', 'in progress', 'succeeded', 'failed', 'skipped', 'cancelled'],
      ...view.cohortProgress.map((c) => [cohortName(c.cohort), ...progressRow(c)]),
      ['all', ...progressRow(view.progress)],
    ]),
    ...(Object.keys(view.progress.failureReasons).length === 0 ? [] : [formatTable([['failure reason', 'devices'], ...Object.entries(view.progress.failureReasons)])]),
    ...(view.abortReason === undefined ? [] : [`aborted: ${view.abortReason}`]),
    ...(view.failureCause === undefined ? [] : [`failed: ${view.failureCause}`]),
    ...((view.audit ?? []).length === 0 ? [] : [formatTable([['when', 'who', 'action', 'was', 'now'], ...(view.audit ?? []).map((a) => [iso(a.at), a.actor, a.action, a.previous ?? '', a.status ?? ''])], [1, 2, 3, 4])]),
  ].join('\n\n');
}

export function describeDryRun(plan: CampaignDryRun): string {
  const sample = (endpoints: readonly string[]): string => `${endpoints.slice(0, 4).join(' ')}${endpoints.length > 4 ? ` ... (${endpoints.length - 4} more)` : ''}`;
  const skipped = Object.entries(plan.skipped.byReason).sort(([a], [b]) => a.localeCompare(b));
  return [
    `dry run "${plan.name}": image ${plan.imageId} (version ${plan.targetVersion}); nothing was created`,
    `${plan.targeted} device(s) targeted: ${plan.eligible} to update, ${skipped.reduce((sum, [, endpoints]) => sum + endpoints.length, 0)} skipped`,
    ...skipped.map(([reason, endpoints]) => `skipped ${reason}: ${sample(endpoints)}`),
    ...(plan.unmatched.unknownEndpoints.length === 0 ? [] : [`not registered (${plan.unmatched.unknownEndpoints.length}): ${sample(plan.unmatched.unknownEndpoints)}`]),
    ...(plan.unmatched.emptyGroups.length === 0 ? [] : [`groups no device is in: ${plan.unmatched.emptyGroups.join(' ')}`]),
    ...plan.problems.map((problem) => `problem (${problem.field}): ${problem.message}`),
    formatTable([['cohort', 'devices', 'released within', 'endpoints'], ...plan.cohorts.map((c) => [String(c.cohort), c.size, formatDuration(c.releaseSeconds), sample(c.endpoints)])], [3]),
    `estimated duration: ${formatDuration(plan.estimate.minimumSeconds)} at best, ${formatDuration(plan.estimate.maximumSeconds)} at most before retries`,
    ...plan.estimate.notes.map((note) => `note: ${note}`),
  ].join('\n');
}

function jsonReport(view: CampaignView, jobs: readonly FirmwareJobView[]) {
  return {
    campaign: view,
    devices: jobs.map((job) => ({
      endpoint: job.endpoint,
      cohort: job.cohort,
      status: job.status,
      attempts: job.attempt + 1,
      ...(job.reason === undefined ? {} : { reason: job.reason }),
      ...(job.updateResult === undefined ? {} : { updateResult: job.updateResult }),
      ...(job.reportedVersion === undefined ? {} : { reportedVersion: job.reportedVersion }),
      updatedAt: iso(job.updatedAt),
      history: job.history,
    })),
  };
}

/** Quoted as RFC 4180 says: fields with a comma, quote or line break in quotes, quotes doubled. */
function csvReport(jobs: readonly FirmwareJobView[]): string {
  const field = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const rows = [['endpoint', 'cohort', 'status', 'attempts', 'reason', 'updateResult', 'reportedVersion', 'updatedAt']];
  for (const job of jobs) rows.push([job.endpoint, String(job.cohort), job.status, String(job.attempt + 1), job.reason ?? '', String(job.updateResult ?? ''), job.reportedVersion ?? '', iso(job.updatedAt)]);
  return `${rows.map((row) => row.map(field).join(',')).join('\n')}\n`;
}
