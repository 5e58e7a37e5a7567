import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './eventually.ts';
import { startServe, type ServeProcess } from './serveProcess.ts';
import { jsonOf, runFota, spawnFota, type FotaRun } from './fotaCli.ts';

interface FleetRow {
  readonly model: string;
  readonly version: string;
  readonly devices: number;
  readonly online: number;
}

/**
 * Issue 16, "Done when", for groups and the fleet inventory: against `npm start -- --serve
 * --devices 6` (its own process, as the README starts it), through the `fota` CLI only: in this
 * process through its entry function, the fleet table through the real binary (test/integration/fotaCli.ts).
 */
describe('groups and the fleet inventory with npm start -- --serve --devices 6 and the fota CLI', () => {
  let serve: ServeProcess | undefined;
  let api = '';
  let dashboardUrl = '';
  let imageId = '';

  const fota = (...args: string[]): Promise<FotaRun> => runFota(api, ...args);

  beforeAll(async () => {
    serve = await startServe();
    ({ imageId, dashboardUrl } = serve);
    api = serve.apiUrl;
  });

  afterAll(async () => {
    await serve?.stop();
  });

  it('prints the dashboard URL in the banner, and the dashboard answers there', async () => {
    expect(dashboardUrl).toBe(`${api}/`);
    const page = await fetch(dashboardUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('counts all six devices in fota --json fleet versions, by model and version', async () => {
    const fleet = await eventually(async () => {
      const result = jsonOf<{ items: FleetRow[] }>(await fota('--json', 'fleet', 'versions'));
      const known = result.items.filter((row) => row.model !== '(unknown)' && row.version !== '(unknown)');
      if (known.reduce((sum, row) => sum + row.devices, 0) < 6) throw new Error(`fleet so far: ${JSON.stringify(result)}`);
      return result;
    }, { timeoutMs: 30_000, what: 'six devices with their facts in the fleet inventory' });
    expect(Object.keys(fleet)).toEqual(['items']);
    for (const row of fleet.items) expect(Object.keys(row).sort()).toEqual(['devices', 'model', 'online', 'version']);
    expect(fleet.items.reduce((sum, row) => sum + row.devices, 0)).toBe(6);
    expect(fleet.items.reduce((sum, row) => sum + row.online, 0)).toBe(6);
    expect(new Set(fleet.items.map((row) => row.model))).toEqual(new Set(['SM-200', 'SM-300']));
    const table = await spawnFota(api, {}, ['fleet', 'versions']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/model\s+version\s+devices\s+online/);
    expect(table.stdout).toContain('6 device(s)');
  });

  it('tags two devices into a group; a campaign targeting that group has exactly two jobs', async () => {
    const tagged = jsonOf<{ endpoint: string; groups: string[] }[]>(await fota('--json', 'devices', 'tag', 'sim-meter-00001', 'sim-meter-00004', '--group', 'pilot', '--attribute', 'site=lab'));
    expect(tagged.map((d) => [d.endpoint, d.groups])).toEqual([['sim-meter-00001', ['pilot']], ['sim-meter-00004', ['pilot']]]);
    const group = jsonOf<{ devices: { endpoint: string }[] }>(await fota('--json', 'groups', 'show', 'pilot'));
    expect(group.devices.map((d) => d.endpoint)).toEqual(['sim-meter-00001', 'sim-meter-00004']);
    expect(jsonOf<{ group: string; devices: number }[]>(await fota('--json', 'groups', 'list'))).toEqual([{ group: 'pilot', devices: 2, online: 2 }]);

    const created = jsonOf<{ campaignId: string }>(await fota('--json', 'campaigns', 'create', '--name', 'pilot group', '--image', imageId, '--groups', 'pilot', '--poll-seconds', '1'));
    const jobs = await eventually(async () => {
      const report = jsonOf<{ devices: { endpoint: string; status: string }[] }>(await fota('campaigns', 'report', created.campaignId, '--format', 'json'));
      if (report.devices.length === 0) throw new Error('no job planned yet');
      return report.devices;
    }, { timeoutMs: 30_000, what: 'the jobs of the group campaign' });
    expect(jobs.map((job) => job.endpoint).sort()).toEqual(['sim-meter-00001', 'sim-meter-00004']);
  });

  it('refuses to tag an unknown endpoint, naming it, with exit code 2', async () => {
    const refused = await fota('devices', 'tag', 'sim-meter-00002', 'no-such-meter', '--group', 'pilot');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('UNKNOWN_DEVICES');
    expect(refused.stderr).toContain('no-such-meter');
  });

  it('untags a device, and shows its firmware history and its times as a person reads them', async () => {
    const untagged = jsonOf<{ endpoint: string; groups: string[]; attributes: Record<string, string> }[]>(await fota('--json', 'devices', 'untag', 'sim-meter-00004', '--group', 'pilot', '--attribute', 'site'));
    expect(untagged).toEqual([{ endpoint: 'sim-meter-00004', groups: [], attributes: {} }]);
    const history = jsonOf<{ endpoint: string; versions: { version: string }[] }>(await fota('--json', 'devices', 'history', 'sim-meter-00002'));
    expect(history.versions.length).toBeGreaterThanOrEqual(1);
    const shown = await fota('devices', 'show', 'sim-meter-00002');
    expect(shown.stdout).toMatch(/lastSeen\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \((now|\d+ s ago)\)/);
    expect(shown.stdout).not.toMatch(/lastSeen\s+\d{13}\b/);
  });

  it('refuses flags that only qualify a missing one, and a watch timeout that is not a number', async () => {
    for (const [flags, message] of [
      [['--ramp', '2'], '--ramp'],
      [['--max-rate', '50'], '--max-rate'],
      [['--time-zone', 'Asia/Tokyo'], '--time-zone'],
    ] as const) {
      const run = await fota('campaigns', 'dry-run', '--name', 'x', '--image', imageId, '--model', 'SM-200', ...flags);
      expect(run.code, flags.join(' ')).toBe(1);
      expect(run.stderr).toContain(message);
    }
    const watch = await fota('campaigns', 'watch', 'any-id', '--timeout', 'abc');
    expect(watch.code).toBe(1);
    expect(watch.stderr).toContain('--timeout');
  });
});
