import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { eventually } from './eventually.ts';
import { jsonOf, runFota, spawnFota } from './fotaCli.ts';

interface CampaignView {
  readonly campaignId: string;
  readonly status: string;
  readonly startAt?: string;
  readonly startedAt?: number;
  readonly waiting?: { readonly reason: string; readonly until: string };
}

/**
 * Scheduled start and explicit canaries (issue 16, item 3) through the API and the `fota` CLI (in
 * this process through its entry function, the last show through the real binary) on the local stack, with the synthesized workflow's Wait on `startAt` (no time
 * compression here: the wait is real, a few seconds ahead, and the test follows the store).
 */
describe('a campaign scheduled to start later, with named canaries', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  let late: SimulatedDevice | undefined;
  let imageId: string;

  const registered = async (model: string): Promise<number> => (await stack.stores.registrations.list()).filter((d) => d.model === model && d.firmwareVersion !== undefined).length;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100 });
    fleet = new Fleet({ size: 4, serverPort: stack.edge.address.port, endpointPrefix: 'sched-meter', deviceOptions: () => ({ model: 'SCHED-1', firmwareVersion: '1.0.0' }) });
    await fleet.start();
    await eventually(async () => {
      if ((await registered('SCHED-1')) < 4) throw new Error('not all registered');
    }, { timeoutMs: 30_000, what: 'four devices with their facts' });
    imageId = (await stack.stores.images.store({ version: '1.1.0', models: ['SCHED-1'] }, buildFirmwarePackage('1.1.0', 1024))).imageId;
  }, 60_000);

  afterAll(async () => {
    await late?.stop();
    await fleet?.stop();
    await stack?.stop();
  });

  it('waits CREATED for its start time, shows why, plans the devices that registered meanwhile, and starts with its canary', async () => {
    // Far enough ahead for the steps below on a loaded machine: they take about a second on a quiet
    // one (the CLI runs in this process; spawning it took several seconds each when loaded).
    const startAt = new Date(Date.now() + 15_000).toISOString();
    const created = jsonOf<CampaignView>(
      await runFota(stack.apiUrl, '--json', 'campaigns', 'create', '--name', 'tonight', '--image', imageId, '--model', 'SCHED-1', '--start-at', startAt, '--canary-endpoints', 'sched-meter-00003', '--cohorts', '100', '--poll-seconds', '1'),
    );
    const shownText = (await runFota(stack.apiUrl, 'campaigns', 'show', created.campaignId)).stdout;
    const shown = (await (await fetch(`${stack.apiUrl}/campaigns/${created.campaignId}`)).json()) as CampaignView;
    expect(Date.now(), 'the checks ran before the start time').toBeLessThan(Date.parse(startAt));
    expect(shown.status).toBe('CREATED');
    expect(shown.waiting).toEqual({ reason: 'START_TIME', until: startAt });
    expect(shownText).toContain(`waiting for its start time: ${startAt}`);
    expect(await stack.stores.jobs.listCampaign(created.campaignId)).toEqual([]);

    // A device that registers before the start time is part of the campaign.
    late = new SimulatedDevice({ endpoint: 'sched-meter-late', serverPort: stack.edge.address.port, model: 'SCHED-1', firmwareVersion: '1.0.0' });
    await late.start();
    await eventually(async () => {
      if ((await registered('SCHED-1')) < 5) throw new Error('the late device is not registered yet');
    }, { timeoutMs: 10_000, what: 'the late device registered before the start time' });
    expect(Date.now()).toBeLessThan(Date.parse(startAt));

    const started = await eventually(async () => {
      const campaign = await stack.stores.campaigns.get(created.campaignId);
      if (campaign?.startedAt === undefined) throw new Error(`status ${String(campaign?.status)}`);
      return campaign;
    }, { timeoutMs: 60_000, what: 'the campaign planned' });
    expect(started.startedAt).toBeGreaterThanOrEqual(Date.parse(startAt));
    const jobs = await stack.stores.jobs.listCampaign(created.campaignId);
    expect(jobs.map((job) => job.endpoint).sort()).toEqual(['sched-meter-00000', 'sched-meter-00001', 'sched-meter-00002', 'sched-meter-00003', 'sched-meter-late']);
    expect(jobs.filter((job) => job.cohort === 0).map((job) => job.endpoint)).toEqual(['sched-meter-00003']);
    expect(new Set(jobs.filter((job) => job.endpoint !== 'sched-meter-00003').map((job) => job.cohort))).toEqual(new Set([1]));
    const after = jsonOf<CampaignView>(await spawnFota(stack.apiUrl, {}, ['--json', 'campaigns', 'show', created.campaignId]));
    expect(after.waiting).toBeUndefined();
    await eventually(async () => {
      const status = (await stack.stores.campaigns.get(created.campaignId))?.status;
      if (status !== 'SUCCEEDED') throw new Error(`status ${String(status)}`);
    }, { timeoutMs: 60_000, what: 'the scheduled campaign succeeded' });
  }, 120_000);

  it('refuses a start time without its offset, naming the field', async () => {
    const response = await fetch(`${stack.apiUrl}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bad time', imageId, target: { model: 'SCHED-1' }, startAt: 'tomorrow at ten' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { field?: string } }).error.field).toBe('startAt');
  });
});
