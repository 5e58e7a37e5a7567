import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { eventually } from './eventually.ts';
import { startServe, type ServeProcess } from './serveProcess.ts';
import { jsonOf, runFota, runFotaWith, spawnFota, type FotaRun } from './fotaCli.ts';

const ALL_SIX = 'sim-meter-00000,sim-meter-00001,sim-meter-00002,sim-meter-00003,sim-meter-00004,sim-meter-00005';

interface JobRow {
  readonly endpoint: string;
  readonly status: string;
  readonly reason?: string;
  readonly reportedVersion?: string;
}

interface Notification {
  readonly type: string;
  readonly campaignId: string;
  readonly status: string;
  readonly subject: string;
  readonly figures: { readonly devices: number; readonly succeeded: number; readonly failed: number };
  readonly dashboardUrl?: string;
}

interface CreatedCampaign {
  readonly campaignId: string;
  readonly target: { readonly endpoints?: string[] };
  readonly derivedFrom?: { readonly kind: string; readonly campaignId: string };
  readonly audit?: { readonly action: string; readonly actor: string }[];
}

/**
 * Relaunch, rollback, notifications and four eyes (issue 16, items 4-6, "Done when") against
 * `npm start -- --serve --devices 6 --failing-devices 1 --webhook URL`, run as its own process,
 * every step through the `fota` CLI (in this process through its entry function, a refused
 * relaunch through the real binary: test/integration/fotaCli.ts); the webhook is a real HTTP receiver.
 */
describe('a release manager relaunches, rolls back and approves with the fota CLI', () => {
  let serve: ServeProcess | undefined;
  let api = '';
  let demoImageId = '';
  let folder: string;
  let receiver: Server;
  const notifications: Notification[] = [];

  const fota = (...args: string[]): Promise<FotaRun> => runFota(api, ...args);
  const fotaAs = (actor: string, role: string | undefined, ...args: string[]): Promise<FotaRun> => runFotaWith(api, { FOTA_ACTOR: actor, ...(role === undefined ? {} : { FOTA_ROLE: role }) }, ...args);
  const jobsOf = async (campaignId: string): Promise<JobRow[]> => jsonOf<{ devices: JobRow[] }>(await fota('campaigns', 'report', campaignId, '--format', 'json')).devices;
  const notified = (campaignId: string, status: string): Promise<Notification> =>
    eventually(() => {
      const found = notifications.find((n) => n.campaignId === campaignId && n.status === status);
      if (found === undefined) throw new Error(`notifications so far: ${JSON.stringify(notifications.map((n) => [n.campaignId, n.status]))}`);
      return found;
    }, { timeoutMs: 30_000, what: `a ${status} notification of ${campaignId}` });

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fota-release-day-'));
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        notifications.push(JSON.parse(body) as Notification);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    serve = await startServe(['--failing-devices', '1', '--webhook', webhook]);
    demoImageId = serve.imageId;
    api = serve.apiUrl;
    await eventually(async () => {
      const list = jsonOf<{ endpoint: string; model?: string }[]>(await fota('--json', 'devices', 'list'));
      if (list.filter((d) => d.model !== undefined).length < 6) throw new Error(`devices so far: ${JSON.stringify(list)}`);
    }, { timeoutMs: 30_000, what: 'six devices with their facts' });
  }, 150_000);

  afterAll(async () => {
    await serve?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  let firstId = '';

  it('notifies the webhook of a finished campaign with its figures and dashboard link', async () => {
    const created = jsonOf<CreatedCampaign>(await fota('--json', 'campaigns', 'create', '--name', 'first', '--image', demoImageId, '--endpoints', ALL_SIX, '--poll-seconds', '1', '--abort-failure-percent', '50'));
    firstId = created.campaignId;
    expect((await fota('campaigns', 'watch', firstId, '--timeout', '150')).code).toBe(0);
    const notification = await notified(firstId, 'SUCCEEDED');
    expect(notification.type).toBe('fota.campaign.notification');
    expect(notification.figures).toMatchObject({ devices: 6, succeeded: 5, failed: 1 });
    expect(notification.dashboardUrl).toBe(`${api}/#campaign=${firstId}`);
    expect(notification.subject).toContain('5 of 6 devices updated, 1 failed');
  }, 200_000);

  it('relaunches --failed-only over just the device that failed', async () => {
    const failed = (await jobsOf(firstId)).filter((job) => job.status === 'FAILED').map((job) => job.endpoint);
    expect(failed).toEqual(['sim-meter-00005']);
    const relaunch = jsonOf<CreatedCampaign>(await fota('--json', 'campaigns', 'relaunch', firstId, '--failed-only'));
    expect(relaunch.target.endpoints).toEqual(['sim-meter-00005']);
    expect(relaunch.derivedFrom).toEqual({ kind: 'relaunch', campaignId: firstId });
    const jobs = await eventually(async () => {
      const list = await jobsOf(relaunch.campaignId);
      if (list.length === 0) throw new Error('not planned yet');
      return list;
    }, { timeoutMs: 30_000, what: 'the relaunch planned' });
    expect(jobs.map((job) => job.endpoint)).toEqual(['sim-meter-00005']);
    // The device fails again: 1 of 1 is over the 50% abort threshold the definition carried over.
    expect((await fota('campaigns', 'watch', relaunch.campaignId, '--timeout', '150')).code).toBe(1);
    expect((await notified(relaunch.campaignId, 'ABORTED')).figures).toMatchObject({ devices: 1, failed: 1 });
  }, 200_000);

  it('plans a rollback to the stored image each device ran before, naming those without one, then rolls them back', async () => {
    const file = join(folder, 'previous.bin');
    await writeFile(file, buildFirmwarePackage('2.0.0', 2048));
    const previous = jsonOf<{ imageId: string }>(await fota('--json', 'images', 'upload', file, '--version', '2.0.0', '--models', 'SM-200,SM-300'));
    const plan = jsonOf<{ dryRun: boolean; groups: { imageId: string; version: string; endpoints: string[] }[]; excluded: { endpoint: string; previousVersion?: string; reason: string }[]; campaigns: unknown[] }>(
      await fota('--json', 'campaigns', 'rollback', firstId, '--dry-run'),
    );
    expect(plan.dryRun).toBe(true);
    expect(plan.campaigns).toEqual([]);
    expect(plan.groups).toEqual([{ imageId: previous.imageId, version: '2.0.0', endpoints: ['sim-meter-00000', 'sim-meter-00001', 'sim-meter-00004'] }]);
    expect(plan.excluded).toEqual([
      { endpoint: 'sim-meter-00002', previousVersion: '2.0.5', reason: 'NO_IMAGE_FOR_PREVIOUS_VERSION' },
      { endpoint: 'sim-meter-00003', previousVersion: '2.0.5', reason: 'NO_IMAGE_FOR_PREVIOUS_VERSION' },
    ]);
    const text = await fota('campaigns', 'rollback', firstId, '--dry-run');
    expect(text.stdout).toContain('dry run: nothing was created');
    expect(text.stdout).toContain('NO_IMAGE_FOR_PREVIOUS_VERSION');

    const done = jsonOf<{ campaigns: { campaignId: string; version: string; devices: number }[] }>(await fota('--json', 'campaigns', 'rollback', firstId));
    expect(done.campaigns).toHaveLength(1);
    const rollbackId = done.campaigns[0]?.campaignId ?? '';
    expect((await fota('campaigns', 'watch', rollbackId, '--timeout', '150')).code).toBe(0);
    const jobs = await jobsOf(rollbackId);
    expect(jobs.map((job) => [job.endpoint, job.status, job.reportedVersion])).toEqual([
      ['sim-meter-00000', 'SUCCEEDED', '2.0.0'],
      ['sim-meter-00001', 'SUCCEEDED', '2.0.0'],
      ['sim-meter-00004', 'SUCCEEDED', '2.0.0'],
    ]);
    const shown = jsonOf<CreatedCampaign & { allowDowngrade?: boolean }>(await fota('--json', 'campaigns', 'show', rollbackId));
    expect(shown.allowDowngrade).toBe(true);
    expect(shown.derivedFrom).toEqual({ kind: 'rollback', campaignId: firstId });
    expect(shown.audit?.map((entry) => entry.action)).toEqual(expect.arrayContaining(['rollback', 'allow-downgrade']));

    const nothing = await spawnFota(api, {}, ['campaigns', 'relaunch', rollbackId]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('NOTHING_TO_RELAUNCH');
  }, 240_000);

  it('refuses the creator approving a two-person campaign and a viewer approving it, and takes another approver', async () => {
    const created = jsonOf<CreatedCampaign>(
      await fotaAs('alice', undefined, '--json', 'campaigns', 'create', '--name', 'four eyes', '--image', demoImageId, '--endpoints', 'sim-meter-00000,sim-meter-00001', '--cohorts', '50,100', '--approval', '--approvers', '2', '--poll-seconds', '1'),
    );
    const waiting = await notified(created.campaignId, 'WAITING_APPROVAL');
    expect(waiting.figures.devices).toBe(2);
    const shownWaiting = await fota('campaigns', 'show', created.campaignId);
    expect(shownWaiting.stdout).toMatch(/waiting for approval of cohort \d \(fota campaigns approve\)/);

    const running = await fota('campaigns', 'relaunch', created.campaignId);
    expect(running.code).toBe(2);
    expect(running.stderr).toContain('CAMPAIGN_NOT_FINISHED');

    const own = await fotaAs('alice', 'operator', 'campaigns', 'approve', created.campaignId);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain('FORBIDDEN');
    const creatorAsApprover = await fotaAs('alice', 'approver', 'campaigns', 'approve', created.campaignId);
    expect(creatorAsApprover.code).toBe(2);
    expect(creatorAsApprover.stderr).toContain('FOUR_EYES');
    const viewer = await fotaAs('victor', 'viewer', 'campaigns', 'approve', created.campaignId);
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toContain('FORBIDDEN');

    const approved = await fotaAs('bob', 'approver', 'campaigns', 'approve', created.campaignId);
    expect(approved.code, approved.stderr).toBe(0);
    expect((await fota('campaigns', 'watch', created.campaignId, '--timeout', '150')).code).toBe(0);
    const shown = jsonOf<CreatedCampaign & { createdBy?: string }>(await fota('--json', 'campaigns', 'show', created.campaignId));
    expect(shown.createdBy).toBe('alice');
    expect(shown.audit?.filter((entry) => entry.action === 'approve').map((entry) => entry.actor)).toEqual(['bob']);
  }, 240_000);
});
