import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { eventually } from '../integration/eventually.ts';
import { jsonOf, runFota, spawnFota, type FotaRun } from '../integration/fotaCli.ts';

type Run = FotaRun;

/**
 * `fota` campaign commands end to end against the local stack: in this process through the CLI's
 * entry function, and the exit codes of a refused definition and an unreachable API from the real
 * binary (test/integration/fotaCli.ts).
 */
describe('fota CLI campaign commands', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  let imageId: string;
  /** A later version, for a campaign after the first one updated the fleet. */
  let nextImageId: string;
  let folder: string;
  /** The campaign created from a YAML file and watched to success. */
  let yamlCampaignId: string;

  const fota = (...args: string[]): Promise<Run> => runFota(stack.apiUrl, ...args);
  const json = jsonOf;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    fleet = new Fleet({ size: 6, serverPort: stack.edge.address.port, endpointPrefix: 'cli-meter', deviceOptions: () => ({ model: 'CLI-1', firmwareVersion: '1.0.0' }) });
    await fleet.start();
    await eventually(async () => {
      const registered = (await stack.stores.registrations.list()).length;
      if (registered < 6) throw new Error(`${registered} of 6 registered`);
    }, { timeoutMs: 30_000, what: 'six devices registered' });
    imageId = (await stack.stores.images.store({ version: '1.1.0', models: ['CLI-1'] }, buildFirmwarePackage('1.1.0', 1024))).imageId;
    nextImageId = (await stack.stores.images.store({ version: '1.2.0', models: ['CLI-1'] }, buildFirmwarePackage('1.2.0', 1024))).imageId;
    folder = await mkdtemp(join(tmpdir(), 'fota-cli-test-'));
  });

  afterAll(async () => {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
    await fleet?.stop();
    await stack?.stop();
  });

  it('plans a dry run from flags: devices, cohorts, estimate, and creates nothing', async () => {
    const flags = ['campaigns', 'dry-run', '--name', 'plan', '--image', imageId, '--model', 'CLI-1', '--canary', '1', '--cohorts', '50,100', '--rate', '60', '--poll-seconds', '5'];
    const plan = json<{ eligible: number; cohorts: { size: number; endpoints: string[] }[]; estimate: { minimumSeconds: number } }>(await fota('--json', ...flags));
    expect(plan.eligible).toBe(6);
    expect(plan.cohorts.map((c) => c.size)).toEqual([1, 2, 3]);
    expect(plan.cohorts.flatMap((c) => c.endpoints).sort()).toEqual(fleet.devices.map((d) => d.endpoint));
    // 60 devices a minute: the third cohort (3 devices) is released within 2 s; 2 polls of 5 s per cohort.
    expect(plan.estimate.minimumSeconds).toBe(3 * 10 + 1 + 2);

    const table = await fota(...flags);
    expect(table.stdout).toContain('6 device(s) targeted: 6 to update, 0 skipped');
    expect(table.stdout).toMatch(/estimated duration: 33 s at best/);
    expect(await stack.stores.campaigns.list()).toEqual([]);
  });

  it('creates a campaign from a YAML file, watches it to success, then lists and shows it', async () => {
    const file = join(folder, 'campaign.yaml');
    await writeFile(file, ['name: from yaml', `imageId: ${imageId}`, 'target:', '  model: CLI-1', 'cohorts:', '  - count: 2', '  - percent: 100', 'pollSeconds: 1', ''].join('\n'));
    const created = json<{ campaignId: string; name: string }>(await fota('--json', 'campaigns', 'create', '--file', file));
    expect(created.name).toBe('from yaml');
    yamlCampaignId = created.campaignId;

    const watched = await fota('campaigns', 'watch', yamlCampaignId, '--interval', '200', '--timeout', '60');
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/cohort 0\s+\[#+-*\]/);
    expect(watched.stdout).toMatch(/"from yaml": SUCCEEDED/);
    // devices, pending, in progress, succeeded, failed, skipped, cancelled: they add up.
    expect(watched.stdout).toMatch(/all\s+6\s+0\s+0\s+6\s+0\s+0\s+0/);

    const listed = json<{ campaignId: string; status: string }[]>(await fota('--json', 'campaigns', 'list'));
    expect(listed).toContainEqual(expect.objectContaining({ campaignId: yamlCampaignId, status: 'SUCCEEDED' }));
    expect((await fota('campaigns', 'list')).stdout).toMatch(new RegExp(`${yamlCampaignId}\\s+from yaml\\s+SUCCEEDED\\s+1\\.1\\.0\\s+2/2`));
    const shown = json<{ progress: { succeeded: number }; cohortProgress: { total: number }[] }>(await fota('--json', 'campaigns', 'show', yamlCampaignId));
    expect(shown.progress.succeeded).toBe(6);
    expect(shown.cohortProgress.map((c) => c.total)).toEqual([2, 4]);
  });

  it('reports every device as CSV and as JSON, to stdout or a file', async () => {
    const csv = await fota('campaigns', 'report', yamlCampaignId);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('endpoint,cohort,status,attempts,reason,updateResult,reportedVersion,updatedAt');
    expect(lines).toHaveLength(7);
    expect(lines.slice(1).every((line) => /^cli-meter-\d{5},[01],SUCCEEDED,1,,,1\.1\.0,\d{4}-\d\d-\d\dT/.test(line))).toBe(true);

    const output = join(folder, 'report.json');
    expect((await fota('campaigns', 'report', yamlCampaignId, '--format', 'json', '--output', output)).code).toBe(0);
    const report = JSON.parse(await readFile(output, 'utf8')) as { campaign: { campaignId: string; status: string }; devices: { endpoint: string; status: string; history: unknown[] }[] };
    expect(report.campaign).toMatchObject({ campaignId: yamlCampaignId, status: 'SUCCEEDED' });
    expect(report.devices).toHaveLength(6);
    expect(report.devices.every((d) => d.status === 'SUCCEEDED' && d.history.length > 0)).toBe(true);
  });

  it('pauses and cancels a campaign created from flags; refuses illegal actions with exit code 2', async () => {
    // A download window two hours ahead of UTC: the devices (time zone unknown, so UTC) stay
    // pending, and the campaign can be paused and cancelled before any of them starts.
    const hour = (offset: number): string => `${String((new Date().getUTCHours() + offset) % 24).padStart(2, '0')}:00`;
    const created = json<{ campaignId: string }>(
      await fota('--json', 'campaigns', 'create', '--name', 'from flags', '--image', nextImageId, '--endpoints', 'cli-meter-00000,cli-meter-00001', '--download-window', `${hour(2)}-${hour(3)}`, '--poll-seconds', '1'),
    );
    const id = created.campaignId;
    expect((await fota('campaigns', 'pause', id)).stdout).toMatch(new RegExp(`^pause: campaign ${id} is now PAUSED \\(was (CREATED|RUNNING)\\)`));
    const approve = await fota('campaigns', 'approve', id);
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain('ILLEGAL_ACTION');
    expect((await fota('campaigns', 'cancel', id)).code).toBe(0);

    const watched = await fota('campaigns', 'watch', id, '--interval', '200', '--timeout', '30');
    expect(watched.code, watched.stdout + watched.stderr).toBe(5);
    expect(watched.stdout).toContain('CANCELLED');
    expect((await fota('campaigns', 'resume', id)).code).toBe(2);
  });

  it('names the field at fault and exits 2 for a bad definition, 3 for an unreachable API', async () => {
    const bad = await spawnFota(stack.apiUrl, {}, ['campaigns', 'create', '--name', 'bad', '--image', 'no-such-image', '--model', 'CLI-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/INVALID_CAMPAIGN: imageId: no image no-such-image \(field imageId\)/);
    const noTarget = await fota('campaigns', 'dry-run', '--name', 'bad', '--image', imageId);
    expect(noTarget.stderr).toContain('(field target)');
    const flag = await fota('campaigns', 'create', '--name', 'bad', '--cohorts', 'ten');
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toContain('expected cumulative percentages');
    expect(await fota('campaigns', 'show', 'no-such-campaign')).toMatchObject({ code: 2, stderr: expect.stringContaining('NOT_FOUND') });
    expect(await spawnFota('http://127.0.0.1:1', {}, ['campaigns', 'list'])).toMatchObject({ code: 3, stderr: expect.stringContaining('UNREACHABLE') });
  });
});
