import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { eventually } from './eventually.ts';
import { startServe, type ServeProcess } from './serveProcess.ts';
import { jsonOf, runFota, spawnFota, type FotaRun } from './fotaCli.ts';

interface JobRow {
  readonly endpoint: string;
  readonly status: string;
  readonly reason?: string;
}

/**
 * The release manager's own commands against `npm start -- --serve --devices 6` (issue 13, "Done
 * when"): the stack runs as its own process, exactly as the README starts it, and every step goes
 * through the `fota` CLI: in this process through its entry function, the image list through the
 * real binary (test/integration/fotaCli.ts).
 */
describe('npm start -- --serve --devices 6 driven by the fota CLI', () => {
  let serve: ServeProcess | undefined;
  let api = '';
  let demoImageId = '';
  let folder: string;

  const fota = (...args: string[]): Promise<FotaRun> => runFota(api, ...args);
  const json = jsonOf;
  const jobsOf = async (campaignId: string): Promise<JobRow[]> => json<{ devices: JobRow[] }>(await fota('campaigns', 'report', campaignId, '--format', 'json')).devices;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fota-walkthrough-'));
    serve = await startServe();
    demoImageId = serve.imageId;
    api = serve.apiUrl;
  });

  afterAll(async () => {
    await serve?.stop();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('lists six simulated devices of two models and two firmware versions, and the demo image', async () => {
    const devices = await eventually(async () => {
      const list = json<{ endpoint: string; model?: string; firmwareVersion?: string }[]>(await fota('--json', 'devices', 'list'));
      if (list.filter((d) => d.model !== undefined).length < 6) throw new Error(`devices so far: ${JSON.stringify(list)}`);
      return list;
    }, { timeoutMs: 30_000, what: 'six devices with their facts' });
    expect(new Set(devices.map((d) => d.model)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(devices.map((d) => d.firmwareVersion)).size).toBeGreaterThanOrEqual(2);
    const images = json<{ imageId: string; status: string }[]>(await spawnFota(api, {}, ['--json', 'images', 'list']));
    expect(images.find((image) => image.imageId === demoImageId)?.status).toBe('VERIFIED');
  });

  it('gives each endpoint at most one job that is not skipped across two campaigns created in parallel', async () => {
    const endpoints = 'sim-meter-00000,sim-meter-00001,sim-meter-00002,sim-meter-00003';
    const create = (name: string) => fota('--json', 'campaigns', 'create', '--name', name, '--image', demoImageId, '--endpoints', endpoints, '--poll-seconds', '1');
    const [first, second] = await Promise.all([create('parallel-a'), create('parallel-b')]);
    const ids = [json<{ campaignId: string }>(first).campaignId, json<{ campaignId: string }>(second).campaignId];
    const jobs = await eventually(async () => {
      const all = (await Promise.all(ids.map(jobsOf))).flat();
      if (all.length < 8) throw new Error(`jobs planned so far: ${all.length}`);
      return all;
    }, { timeoutMs: 60_000, what: 'both campaigns planned' });
    for (const endpoint of endpoints.split(',')) {
      const mine = jobs.filter((job) => job.endpoint === endpoint);
      expect(mine.filter((job) => job.status !== 'SKIPPED'), `${endpoint}: ${JSON.stringify(mine)}`).toHaveLength(1);
      expect(mine.filter((job) => job.status === 'SKIPPED').map((job) => job.reason)).toEqual(['DEVICE_BUSY']);
    }
    // Both end before the next test uses the fleet: the devices are held until then.
    for (const id of ids) expect((await fota('campaigns', 'watch', id, '--timeout', '150')).code).toBe(0);
  }, 240_000);

  it('skips every device with INCOMPATIBLE_MODEL for an image made for another model', async () => {
    const file = join(folder, 'other-model.bin');
    await writeFile(file, buildFirmwarePackage('9.0.0', 512));
    const image = json<{ imageId: string }>(await fota('--json', 'images', 'upload', file, '--version', '9.0.0', '--models', 'SM-900'));
    const created = json<{ campaignId: string }>(await fota('--json', 'campaigns', 'create', '--name', 'other model', '--image', image.imageId, '--endpoints', 'sim-meter-00004,sim-meter-00005', '--poll-seconds', '1'));
    const jobs = await eventually(async () => {
      const list = await jobsOf(created.campaignId);
      if (list.length < 2) throw new Error(`jobs so far: ${JSON.stringify(list)}`);
      return list;
    }, { timeoutMs: 60_000, what: 'the campaign planned' });
    expect(jobs.map((job) => [job.status, job.reason])).toEqual([
      ['SKIPPED', 'INCOMPATIBLE_MODEL'],
      ['SKIPPED', 'INCOMPATIBLE_MODEL'],
    ]);
  }, 120_000);

  it('leaves a campaign cancelling or cancelled after cancel, then pause, then resume', async () => {
    const created = json<{ campaignId: string }>(await fota('--json', 'campaigns', 'create', '--name', 'to cancel', '--image', demoImageId, '--endpoints', 'sim-meter-00004,sim-meter-00005', '--poll-seconds', '1', '--rate', '1'));
    const cancel = await fota('campaigns', 'cancel', created.campaignId);
    const pause = await fota('campaigns', 'pause', created.campaignId);
    const resume = await fota('campaigns', 'resume', created.campaignId);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect([pause.code, resume.code]).toEqual([2, 2]);
    expect(pause.stderr).toContain('ILLEGAL_ACTION');
    const shown = json<{ status: string }>(await fota('--json', 'campaigns', 'show', created.campaignId));
    expect(['CANCELLING', 'CANCELLED']).toContain(shown.status);
  });
});
