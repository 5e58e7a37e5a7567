import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import type { SimulatedDeviceOptions } from '../../sim/SimulatedDevice.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { Campaign } from '../../core/campaign/Campaign.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';

/**
 * Campaign scenarios through the synthesized workflow and real UDP, with time compressed: every
 * Wait state of the workflow lasts 100 ms instead of its poll interval.
 */
describe('campaign scenarios', () => {
  let stack: LocalStack;
  const fleets: Fleet[] = [];

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: (process.env['FOTA_TEST_LOG'] as 'debug' | undefined) ?? 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
  });

  afterAll(async () => {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await stack?.stop();
  });

  let model = 0;
  /** A fleet of a model of its own, registered and known to the registry, and an image for it. */
  async function prepare(size: number, deviceOptions: (i: number) => Partial<SimulatedDeviceOptions> = () => ({})) {
    const name = `SCN-${++model}`;
    const fleet = new Fleet({ size, serverPort: stack.edge.address.port, endpointPrefix: name.toLowerCase(), deviceOptions: (i) => ({ model: name, firmwareVersion: '1.0.0', ...deviceOptions(i) }) });
    fleets.push(fleet);
    await fleet.start();
    await expect.poll(async () => (await stack.stores.registrations.list()).filter((d) => d.model === name).length, { timeout: 10_000 }).toBe(size);
    const image = await stack.stores.images.store({ version: '1.1.0', models: [name] }, buildFirmwarePackage('1.1.0', 2048));
    return { fleet, model: name, imageId: image.imageId };
  }

  async function launch(body: Record<string, unknown>): Promise<Campaign & { executionId: string }> {
    const response = await fetch(`${stack.apiUrl}/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-fota-actor': 'alice@example.com' }, body: JSON.stringify({ pollSeconds: 1, ...body }) });
    expect(response.status).toBe(201);
    return (await response.json()) as Campaign & { executionId: string };
  }

  const act = (campaignId: string, action: string) => fetch(`${stack.apiUrl}/campaigns/${campaignId}/${action}`, { method: 'POST', headers: { 'x-fota-actor': 'alice@example.com' } });
  const jobsOf = (campaignId: string): Promise<FirmwareJob[]> => stack.stores.jobs.listCampaign(campaignId);
  const statusOf = async (campaignId: string) => (await stack.stores.campaigns.get(campaignId))?.status;
  const finished = (campaignId: string) => stack.stepFunctions.executions.get(campaignIdToExecution.get(campaignId) ?? '')?.done;
  const campaignIdToExecution = new Map<string, string>();
  const start = async (body: Record<string, unknown>) => {
    const campaign = await launch(body);
    campaignIdToExecution.set(campaign.campaignId, campaign.executionId);
    return campaign;
  };

  it('moves three cohorts (a count, then percentages) to success in order', async () => {
    const { model, imageId } = await prepare(8);
    const campaign = await start({ name: 'three cohorts', imageId, target: { model }, cohorts: [{ count: 1 }, { percent: 50 }, { percent: 100 }] });
    await finished(campaign.campaignId);

    const jobs = await jobsOf(campaign.campaignId);
    expect(await statusOf(campaign.campaignId)).toBe('SUCCEEDED');
    expect(jobs.map((j) => j.status)).toEqual(Array(8).fill('SUCCEEDED'));
    expect([0, 1, 2].map((c) => jobs.filter((j) => j.cohort === c).length)).toEqual([1, 3, 4]);
    // Cohort n+1 starts only after cohort n finished.
    const firstReady = (c: number) => Math.min(...jobs.filter((j) => j.cohort === c).map((j) => j.history.find((h) => h.to === 'READY')?.at ?? Infinity));
    const lastDone = (c: number) => Math.max(...jobs.filter((j) => j.cohort === c).map((j) => j.history.at(-1)?.at ?? 0));
    expect(firstReady(1)).toBeGreaterThanOrEqual(lastDone(0));
    expect(firstReady(2)).toBeGreaterThanOrEqual(lastDone(1));
    const execution = stack.stepFunctions.executions.get(campaign.executionId);
    expect(execution?.taskLog.filter((t) => t === 'StartDownloadPhase')).toHaveLength(3);
  });

  it('aborts when the failure threshold is crossed and leaves later cohorts untouched', async () => {
    const { fleet, model, imageId } = await prepare(6, () => ({ updateFailure: 8 }));
    const campaign = await start({ name: 'bad build', imageId, target: { model }, cohorts: [{ count: 2 }, { percent: 100 }], abortFailurePercent: 10, retry: {}, installTimeoutSeconds: 20 });
    await finished(campaign.campaignId);

    expect(await statusOf(campaign.campaignId)).toBe('ABORTED');
    const jobs = await jobsOf(campaign.campaignId);
    const canary = jobs.filter((j) => j.cohort === 0);
    expect(canary.some((j) => j.status === JobStatus.Failed && j.reason === 'UPDATE_FAILED' && j.updateResult === 8)).toBe(true);
    const later = jobs.filter((j) => j.cohort === 1);
    expect(later).toHaveLength(4);
    for (const job of later) {
      expect(job.status).toBe(JobStatus.Cancelled);
      expect(job.history.map((h) => h.to)).toEqual(['CANCELLED']);
    }
    const untouched = fleet.devices.filter((d) => later.some((j) => j.endpoint === d.endpoint));
    expect(untouched.every((d) => d.firmwareVersion === '1.0.0' && d.blocksFetched === 0)).toBe(true);
    expect((await stack.stores.campaigns.get(campaign.campaignId))?.abortReason).toMatch(/failures/);
  });

  it('pauses, releasing no new device, then resumes to completion; both recorded in the audit trail', async () => {
    const { model, imageId } = await prepare(4);
    const campaign = await start({ name: 'paused', imageId, target: { model }, rate: { devicesPerMinute: 60 } });
    expect((await act(campaign.campaignId, 'pause')).status).toBe(200);
    await expect.poll(() => statusOf(campaign.campaignId), { timeout: 5000 }).toBe('PAUSED');
    const releasedAtPause = (await jobsOf(campaign.campaignId)).filter((j) => j.status !== JobStatus.Pending).length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await jobsOf(campaign.campaignId)).filter((j) => j.status !== JobStatus.Pending).length).toBe(releasedAtPause);
    expect(releasedAtPause).toBeLessThan(4);

    expect((await act(campaign.campaignId, 'resume')).status).toBe(200);
    await finished(campaign.campaignId);
    expect(await statusOf(campaign.campaignId)).toBe('SUCCEEDED');
    const audit = (await stack.stores.campaigns.get(campaign.campaignId))?.audit ?? [];
    expect(audit.map((a) => [a.action, a.actor, a.previous])).toEqual([
      ['pause', 'alice@example.com', expect.stringMatching(/CREATED|RUNNING/)],
      ['resume', 'alice@example.com', 'PAUSED'],
    ]);
  });

  it('cancels mid-cohort: waiting devices are cancelled, finished ones stay done, the campaign ends CANCELLED', async () => {
    const { model, imageId } = await prepare(5);
    const campaign = await start({ name: 'cancelled', imageId, target: { model }, rate: { devicesPerMinute: 20 } });
    // The rate holds most devices back; cancel once the first has downloaded.
    await expect.poll(async () => (await jobsOf(campaign.campaignId)).filter((j) => j.status === JobStatus.Downloaded).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect((await act(campaign.campaignId, 'cancel')).status).toBe(200);
    await finished(campaign.campaignId);

    expect(await statusOf(campaign.campaignId)).toBe('CANCELLED');
    const jobs = await jobsOf(campaign.campaignId);
    expect(jobs.map((j) => j.status)).toEqual(Array(5).fill('CANCELLED'));
    // The downloaded device was told to drop its image; none was told to install.
    expect(jobs.some((j) => j.history.some((h) => h.from === 'DOWNLOADED' && h.to === 'CANCELLED'))).toBe(true);
    expect(jobs.some((j) => j.history.some((h) => h.to === 'UPDATING'))).toBe(false);
    expect((await act(campaign.campaignId, 'resume')).status).toBe(409);
  });

  it('waits for approval between cohorts, refuses approval when nothing waits, and goes on when approved', async () => {
    const { model, imageId } = await prepare(4);
    const campaign = await start({ name: 'approval', imageId, target: { model }, cohorts: [{ count: 1 }, { percent: 100 }], approvalRequired: true });
    await expect.poll(() => statusOf(campaign.campaignId), { timeout: 15_000 }).toBe('WAITING_APPROVAL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await jobsOf(campaign.campaignId)).filter((j) => j.cohort === 1).every((j) => j.status === JobStatus.Pending)).toBe(true);

    expect((await act(campaign.campaignId, 'approve')).status).toBe(200);
    await finished(campaign.campaignId);
    expect(await statusOf(campaign.campaignId)).toBe('SUCCEEDED');
    expect((await act(campaign.campaignId, 'approve')).status).toBe(409);
  });

  it('fails an offline device at its timeout, retries it by policy, and never retries a corrupt package', async () => {
    const { fleet, model, imageId } = await prepare(3, (i) => (i === 1 ? { downloadFailure: 5 } : {}));
    const offline = fleet.devices[2];
    await offline?.stop();
    const campaign = await start({
      name: 'offline',
      imageId,
      target: { model },
      downloadTimeoutSeconds: 2,
      abortFailurePercent: 100,
      retry: { DOWNLOAD_TIMEOUT: { maxAttempts: 2, backoffSeconds: 3 }, INTEGRITY_CHECK_FAILURE: { maxAttempts: 1, backoffSeconds: 0 } },
    });
    await expect.poll(async () => (await jobsOf(campaign.campaignId)).find((j) => j.endpoint === offline?.endpoint)?.history.some((h) => h.event === 'retry'), { timeout: 15_000 }).toBe(true);
    await offline?.start();
    await finished(campaign.campaignId);

    const jobs = await jobsOf(campaign.campaignId);
    const retried = jobs.find((j) => j.endpoint === offline?.endpoint);
    expect(retried, JSON.stringify(retried?.history)).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
    const failure = retried?.history.find((h) => h.to === 'FAILING');
    expect(failure?.detail).toBe('DOWNLOAD_TIMEOUT');
    expect(retried?.history.find((h) => h.event === 'retry')?.at).toBeGreaterThanOrEqual(failure?.at ?? Infinity);
    expect(retried?.history.at(-1)?.to).toBe('SUCCEEDED');
    expect(jobs.find((j) => j.endpoint === fleet.devices[1]?.endpoint)).toMatchObject({ status: 'FAILED', reason: 'INTEGRITY_CHECK_FAILURE', attempt: 0 });
  });

  it('releases only devices whose local time is inside the download window', async () => {
    const utcHour = new Date().getUTCHours();
    const window = { start: `${String(utcHour).padStart(2, '0')}:00`, end: `${String((utcHour + 1) % 24).padStart(2, '0')}:00` };
    // Kiribati is UTC+14 all year: its local hour is never the current UTC hour.
    const { fleet, model, imageId } = await prepare(2, (i) => ({ timeZone: i === 0 ? 'UTC' : 'Pacific/Kiritimati' }));
    await expect.poll(async () => (await stack.stores.registrations.get(fleet.devices[1]?.endpoint ?? ''))?.timeZone, { timeout: 5000 }).toBe('Pacific/Kiritimati');
    const campaign = await start({ name: 'window', imageId, target: { model }, downloadWindow: window });
    // The device in its window downloads; the cohort's install phase waits for the other one's window.
    await expect.poll(async () => (await jobsOf(campaign.campaignId)).find((j) => j.endpoint === fleet.devices[0]?.endpoint)?.status, { timeout: 30_000 }).toBe('DOWNLOADED');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await jobsOf(campaign.campaignId)).find((j) => j.endpoint === fleet.devices[1]?.endpoint)?.status).toBe('PENDING');

    expect((await act(campaign.campaignId, 'cancel')).status).toBe(200);
    await finished(campaign.campaignId);
    expect((await jobsOf(campaign.campaignId)).map((j) => j.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(fleet.devices[0]?.firmwareVersion).toBe('1.0.0');
  });

  it('refuses invalid definitions with 400 naming the field', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const response = await fetch(`${stack.apiUrl}/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as { error: { field?: string } } };
    };
    expect(await bad({ name: 'x', target: {} })).toMatchObject({ status: 400, body: { error: { field: 'imageId' } } });
    expect(await bad({ name: 'x', imageId: 'nope', target: {}, downloadWindow: { start: '25:00', end: '03:00' } })).toMatchObject({ status: 400, body: { error: { field: 'downloadWindow.start' } } });
    expect(await bad({ name: 'x', imageId: 'nope', target: {}, cohortPercentages: [50, 10, 100] })).toMatchObject({ status: 400 });
    expect(await bad({ name: 'x', imageId: 'nope', target: {} })).toMatchObject({ status: 400, body: { error: { field: 'imageId' } } });
  });
});
