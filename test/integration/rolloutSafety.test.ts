import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { LocalStack } from '../../local/LocalStack.ts';
import { startApiServer } from '../../local/apiServer.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { campaignIdFor, type ExecutionStarter } from '../../functions/api/launchCampaign.ts';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string; field?: string } };
}

/**
 * Test double for Step Functions' StartExecution: refuses the first start (as a throttled or
 * unreachable service would), then starts executions on the real local runner.
 */
class StartExecutionFailingOnce implements ExecutionStarter {
  failures = 0;
  constructor(private readonly stack: LocalStack) {}

  async startExecution(input: Record<string, unknown>, name: string): Promise<{ executionId: string }> {
    if (this.failures++ === 0) throw new Error('ThrottlingException: Rate exceeded');
    return this.stack.stepFunctions.startExecution(input, name);
  }
}

/**
 * Rollout safety through the API and the real workflow: one firmware job per device across
 * campaigns (claims), compatibility guards at planning, idempotent create, the execution started
 * before 201, and image delete against campaign create.
 */
describe('rollout safety', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  let flakyApi: { server: Server; url: string };
  let flakyStarter: StartExecutionFailingOnce;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, base = stack.apiUrl): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  const finished = async (created: Answer): Promise<FirmwareJob[]> => {
    await stack.stepFunctions.executions.get(String(created.body['executionId']))?.done;
    return stack.stores.jobs.listCampaign(String(created.body['campaignId']));
  };
  const reasons = (jobs: readonly FirmwareJob[]) => Object.fromEntries(jobs.map((job) => [job.endpoint, job.status === JobStatus.Skipped ? job.reason : job.status]));
  const until = async (what: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      if (await what()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`not reached in ${timeoutMs} ms`);
  };
  const newImage = (version: string, models: string[]) => stack.stores.images.store({ version, models }, buildFirmwarePackage(version, 512));

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    // safe-00000..03: SAFE-1 on 1.0.0; safe-00004: SAFE-1 on 3.0.0; safe-00005: SAFE-2 on 1.0.0.
    fleet = new Fleet({
      size: 6,
      serverPort: stack.edge.address.port,
      endpointPrefix: 'safe',
      deviceOptions: (i) => ({ model: i === 5 ? 'SAFE-2' : 'SAFE-1', firmwareVersion: i === 4 ? '3.0.0' : '1.0.0' }),
    });
    await fleet.start();
    await until(async () => (await stack.stores.registrations.list()).filter((d) => d.firmwareVersion !== undefined).length === 6, 20_000);
    flakyStarter = new StartExecutionFailingOnce(stack);
    flakyApi = await startApiServer({ stores: stack.stores, starter: flakyStarter }, 0);
  });

  afterAll(async () => {
    if (flakyApi !== undefined) await new Promise((resolve) => flakyApi.server.close(resolve));
    await fleet?.stop();
    await stack?.stop();
  });

  it('claims each device for at most one of three campaigns created in parallel over the same devices', async () => {
    const image = await newImage('1.1.0', ['SAFE-1']);
    const target = { endpoints: ['safe-00000', 'safe-00001', 'safe-00002', 'safe-00003'] };
    const created = await Promise.all([1, 2, 3].map((n) => call('POST', '/campaigns', { name: `parallel ${n}`, imageId: image.imageId, target, pollSeconds: 1 })));
    expect(created.map((answer) => answer.status)).toEqual([201, 201, 201]);
    const jobs = (await Promise.all(created.map(finished))).flat();
    const working = jobs.filter((job) => job.status !== JobStatus.Skipped);
    expect(working.map((job) => job.endpoint).sort()).toEqual(target.endpoints);
    expect(jobs.filter((job) => job.status === JobStatus.Skipped).map((job) => job.reason)).toEqual(Array(8).fill('DEVICE_BUSY'));
    expect(fleet.devices.slice(0, 4).map((device) => device.updatesExecuted)).toEqual([1, 1, 1, 1]);
  });

  it('gives the devices back when a campaign finishes, so the next campaign may update them', async () => {
    const image = await newImage('1.2.0', ['SAFE-1']);
    const created = await call('POST', '/campaigns', { name: 'after the parallel ones', imageId: image.imageId, target: { endpoints: ['safe-00000'] }, pollSeconds: 1 });
    expect(reasons(await finished(created))).toEqual({ 'safe-00000': JobStatus.Succeeded });
  });

  it('skips a device of a model the image does not list, whatever the target says', async () => {
    const image = await newImage('2.0.0', ['SAFE-1']);
    const created = await call('POST', '/campaigns', { name: 'wrong model', imageId: image.imageId, target: { endpoints: ['safe-00005'] }, pollSeconds: 1 });
    expect(reasons(await finished(created))).toEqual({ 'safe-00005': 'INCOMPATIBLE_MODEL' });
  });

  it('skips a device on a higher version than the image unless the campaign allows downgrades', async () => {
    const image = await newImage('1.0.0', ['SAFE-1']);
    const created = await call('POST', '/campaigns', { name: 'downgrade refused', imageId: image.imageId, target: { endpoints: ['safe-00004'] }, pollSeconds: 1 });
    expect(reasons(await finished(created))).toEqual({ 'safe-00004': 'DOWNGRADE_NOT_ALLOWED' });
  });

  it('downgrades when the campaign says allowDowngrade, and keeps that in the audit trail', async () => {
    const image = await newImage('2.5.0', ['SAFE-1']);
    const created = await call('POST', '/campaigns', { name: 'downgrade allowed', imageId: image.imageId, target: { endpoints: ['safe-00004'] }, pollSeconds: 1, allowDowngrade: true });
    const jobs = await finished(created);
    const campaign = await stack.stores.campaigns.get(String(created.body['campaignId']));
    expect({ jobs: reasons(jobs), audit: campaign?.audit?.map((entry) => entry.action) }).toEqual({ jobs: { 'safe-00004': JobStatus.Succeeded }, audit: ['allow-downgrade'] });
  });

  it('lists in the dry run the devices another campaign holds as DEVICE_BUSY', async () => {
    // The device's claim moves to a running campaign (from the finished campaign of an earlier test, which kept it).
    const outcome = await stack.stores.claims.claim('safe-00003', 'a-running-campaign', Date.now());
    if (!outcome.claimed) expect(await stack.stores.claims.takeOver('safe-00003', 'a-running-campaign', outcome.holder, Date.now())).toBe(true);
    await stack.stores.campaigns.create({ campaignId: 'a-running-campaign', name: 'holder', imageId: 'none', target: {}, cohortPercentages: [100], pollSeconds: 1, downloadTimeoutSeconds: 60, installTimeoutSeconds: 60, abortFailurePercent: 5, status: 'RUNNING', targetVersion: '9', createdAt: 1, updatedAt: 1 });
    const image = await newImage('1.3.0', ['SAFE-1']);
    const plan = await call('POST', '/campaigns/dry-run', { name: 'dry', imageId: image.imageId, target: { endpoints: ['safe-00002', 'safe-00003'] } });
    expect((plan.body['skipped'] as { byReason: unknown }).byReason).toEqual({ DEVICE_BUSY: ['safe-00003'] });
  });

  it('answers a retried create with the same Idempotency-Key with the first campaign', async () => {
    const image = await newImage('0.9.0', ['SAFE-1']);
    const definition = { name: 'idempotent', imageId: image.imageId, target: { endpoints: ['no-such-device'] }, pollSeconds: 1 };
    const first = await call('POST', '/campaigns', definition, { 'idempotency-key': 'release-0.9.0' });
    const second = await call('POST', '/campaigns', definition, { 'idempotency-key': 'release-0.9.0' });
    const named = (await stack.stores.campaigns.list()).filter((campaign) => campaign.name === 'idempotent');
    expect({ statuses: [first.status, second.status], same: second.body['campaignId'] === first.body['campaignId'], campaigns: named.length }).toEqual({ statuses: [201, 201], same: true, campaigns: 1 });
  });

  it('refuses the same Idempotency-Key with another definition (422)', async () => {
    const image = await newImage('0.9.1', ['SAFE-1']);
    const definition = { name: 'key reused', imageId: image.imageId, target: { endpoints: ['no-such-device'] }, pollSeconds: 1 };
    await call('POST', '/campaigns', definition, { 'idempotency-key': 'reused-key' });
    const other = await call('POST', '/campaigns', { ...definition, name: 'another campaign' }, { 'idempotency-key': 'reused-key' });
    expect(other).toMatchObject({ status: 422, body: { error: { code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key' } } });
  });

  it('answers 503 when the workflow does not start, keeps the campaign CREATED, and starts it on the retry', async () => {
    const image = await newImage('0.9.2', ['SAFE-1']);
    const definition = { name: 'start fails once', imageId: image.imageId, target: { endpoints: ['no-such-device'] }, pollSeconds: 1 };
    const headers = { 'idempotency-key': 'start-once', 'x-fota-actor': 'tester' };
    const failed = await call('POST', '/campaigns', definition, headers, flakyApi.url);
    const campaignId = campaignIdFor('tester', 'start-once');
    const statusAfterFailure = (await stack.stores.campaigns.get(campaignId))?.status;
    const retried = await call('POST', '/campaigns', definition, headers, flakyApi.url);
    await stack.stepFunctions.executions.get(campaignId)?.done;
    expect({ failed: failed.status, statusAfterFailure, retried: retried.status, id: retried.body['campaignId'], final: (await stack.stores.campaigns.get(campaignId))?.status }).toEqual({
      failed: 503,
      statusAfterFailure: 'CREATED',
      retried: 201,
      id: campaignId,
      final: 'SUCCEEDED',
    });
  });

  it('never lets an image delete and a campaign create on it both succeed (8 parallel pairs)', async () => {
    const images = await Promise.all(Array.from({ length: 8 }, (_, i) => newImage(`0.1.${i}`, ['SAFE-1'])));
    const pairs = await Promise.all(
      images.map((image, i) =>
        Promise.all([call('DELETE', `/images/${image.imageId}`), call('POST', '/campaigns', { name: `race ${i}`, imageId: image.imageId, target: { endpoints: ['no-such-device'] }, pollSeconds: 1 })]),
      ),
    );
    const created = pairs.filter(([, create]) => create.status === 201).map(([, create]) => create);
    const outcomes = await Promise.all(created.map(async (create) => (await finished(create), (await stack.stores.campaigns.get(String(create.body['campaignId'])))?.status)));
    expect({
      exactlyOneWins: pairs.map(([del, create]) => (del.status === 200) !== (create.status === 201)),
      deleteRefusals: [...new Set(pairs.filter(([del]) => del.status !== 200).map(([del]) => del.body.error?.code))],
      // A create that finds the image DELETING is refused 409; one that finds it gone, 400 naming imageId.
      createRefusals: pairs.filter(([, create]) => create.status !== 201).every(([, create]) => create.body.error?.code === 'IMAGE_UNAVAILABLE' || (create.status === 400 && create.body.error?.field === 'imageId')),
      campaignsNotSucceeded: outcomes.filter((status) => status !== 'SUCCEEDED'),
    }).toEqual({ exactlyOneWins: Array(8).fill(true), deleteRefusals: created.length === 0 ? [] : ['IMAGE_IN_USE'], createRefusals: true, campaignsNotSucceeded: [] });
  });

  it('deletes an image once the campaign that used it finished', async () => {
    const image = await newImage('0.2.0', ['SAFE-1']);
    await finished(await call('POST', '/campaigns', { name: 'then delete', imageId: image.imageId, target: { endpoints: ['no-such-device'] }, pollSeconds: 1 }));
    expect((await call('DELETE', `/images/${image.imageId}`)).status).toBe(200);
  });
});
