import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { eventually } from './eventually.ts';

/**
 * Dynamic campaigns (issue 16, item 3) through the synthesized workflow on the local stack: after
 * its last cohort the campaign keeps taking in devices that register later and match its target,
 * under its guards, until `endAt`. Waits are compressed (100 ms), so the campaign looks for late
 * devices often; the test follows the store, never the clock.
 */
describe('a dynamic campaign', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  const late: SimulatedDevice[] = [];

  const jobsOf = async (campaignId: string) => (await stack.stores.jobs.listCampaign(campaignId)).map((job) => [job.endpoint, job.status, job.cohort] as const).sort();

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    fleet = new Fleet({ size: 2, serverPort: stack.edge.address.port, endpointPrefix: 'dyn-meter', deviceOptions: () => ({ model: 'DYN-1', firmwareVersion: '1.0.0' }) });
    await fleet.start();
    await eventually(async () => {
      const known = (await stack.stores.registrations.list()).filter((d) => d.model === 'DYN-1' && d.firmwareVersion !== undefined).length;
      if (known < 2) throw new Error(`${known} of 2 devices`);
    }, { timeoutMs: 30_000, what: 'two devices with their facts' });
  }, 60_000);

  afterAll(async () => {
    for (const device of late) await device.stop();
    await fleet?.stop();
    await stack?.stop();
  });

  it('updates a device that registers after its last cohort, leaves out one the guards skip, and ends at endAt', async () => {
    const image = await stack.stores.images.store({ version: '1.1.0', models: ['DYN-1'] }, buildFirmwarePackage('1.1.0', 1024));
    const endAt = new Date(Date.now() + 30_000).toISOString();
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, { name: 'dynamic', imageId: image.imageId, target: { manufacturer: 'Simulated Meters Inc.' }, dynamic: true, endAt, pollSeconds: 1, abortFailurePercent: 100 });
    await eventually(async () => {
      const jobs = await jobsOf(campaign.campaignId);
      if (jobs.length < 2 || jobs.some(([, status]) => status !== 'SUCCEEDED')) throw new Error(JSON.stringify(jobs));
    }, { timeoutMs: 30_000, what: 'the first two devices updated' });
    expect((await stack.stores.campaigns.get(campaign.campaignId))?.status).toBe('RUNNING');

    for (const [endpoint, model] of [['dyn-late', 'DYN-1'], ['dyn-other-model', 'OTHER-9']] as const) {
      const device = new SimulatedDevice({ endpoint, serverPort: stack.edge.address.port, model, firmwareVersion: '1.0.0' });
      late.push(device);
      await device.start();
    }
    await eventually(async () => {
      const jobs = await jobsOf(campaign.campaignId);
      if (!jobs.some(([endpoint, status]) => endpoint === 'dyn-late' && status === 'SUCCEEDED')) throw new Error(JSON.stringify(jobs));
    }, { timeoutMs: 30_000, what: 'the late device joined and updated' });
    expect(late[0]?.firmwareVersion).toBe('1.1.0');

    const ended = await eventually(async () => {
      const found = await stack.stores.campaigns.get(campaign.campaignId);
      if (found?.status !== 'SUCCEEDED') throw new Error(`status ${String(found?.status)}`);
      return found;
    }, { timeoutMs: 60_000, what: 'the campaign ended at its endAt' });
    expect(ended.finishedAt).toBeGreaterThanOrEqual(Date.parse(endAt));
    expect(await jobsOf(campaign.campaignId)).toEqual([
      ['dyn-late', 'SUCCEEDED', 0],
      ['dyn-meter-00000', 'SUCCEEDED', 0],
      ['dyn-meter-00001', 'SUCCEEDED', 0],
    ]);
    expect(ended.summary).toMatchObject({ devices: 3, succeeded: 3, failed: 0 });
  }, 150_000);

  it('refuses a dynamic campaign without an end time, naming the field', async () => {
    const response = await fetch(`${stack.apiUrl}/campaigns/dry-run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no end', imageId: 'whatever', target: { model: 'DYN-1' }, dynamic: true }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { field?: string } }).error.field).toBe('endAt');
  });
});
