import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import type { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import type { FirmwareImage } from '../../core/images/FirmwareImage.ts';
import { getBlock, startDevices, startJob, waitForJob } from './firmwareHelpers.ts';
import { packageTokenOf } from '../../core/jobs/packageToken.ts';

describe('object 5 results, deferral and cancel, over real sockets', () => {
  let stack: LocalStack;
  let image: FirmwareImage;
  const devices: SimulatedDevice[] = [];

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100, edgeDelivery: { stateCheckIntervalMs: 1_000, deferRetryMs: 200 } });
    image = await stack.stores.images.store({ version: '2.0.0', models: ['RES-1'] }, buildFirmwarePackage('2.0.0', 4_000));
  });

  afterAll(async () => {
    await Promise.all(devices.map((device) => device.stop()));
    await stack?.stop();
  });

  const fleet = async (...options: Parameters<typeof startDevices>[1]): Promise<SimulatedDevice[]> => {
    const started = await startDevices(stack, options.map((o) => ({ model: 'RES-1', ...o })));
    devices.push(...started);
    return started;
  };

  it('records every failure result 2..9 on the job with its named reason and the code (FAILING: no workflow here to give its verdict)', async () => {
    const downloadFailures = [2, 3, 4, 5, 6, 7, 9];
    await fleet(...downloadFailures.map((result) => ({ endpoint: `fails-download-${result}`, downloadFailure: result })), { endpoint: 'fails-update-8', updateFailure: 8 }, { endpoint: 'fails-update-3', updateFailure: 3 });
    const endpoints = [...downloadFailures.map((result) => `fails-download-${result}`), 'fails-update-8', 'fails-update-3'];

    const jobs = await Promise.all(endpoints.map((endpoint) => startJob(stack, endpoint, image)));
    const settled = await Promise.all(jobs.map((job) => waitForJob(stack, job)));

    expect(settled.map((job) => [job.endpoint, job.status, job.reason, job.updateResult])).toEqual([
      ['fails-download-2', 'FAILING', 'NOT_ENOUGH_FLASH', 2],
      ['fails-download-3', 'FAILING', 'OUT_OF_RAM', 3],
      ['fails-download-4', 'FAILING', 'CONNECTION_LOST', 4],
      ['fails-download-5', 'FAILING', 'INTEGRITY_CHECK_FAILURE', 5],
      ['fails-download-6', 'FAILING', 'UNSUPPORTED_PACKAGE_TYPE', 6],
      ['fails-download-7', 'FAILING', 'INVALID_URI', 7],
      ['fails-download-9', 'FAILING', 'UNSUPPORTED_PROTOCOL', 9],
      ['fails-update-8', 'FAILING', 'UPDATE_FAILED', 8],
      ['fails-update-3', 'FAILING', 'OUT_OF_RAM', 3],
    ]);
    // Download failures end in DOWNLOADING, update failures after the Execute, without a reboot.
    expect(settled.map((job) => job.history.at(-1)?.from)).toEqual([...downloadFailures.map(() => 'DOWNLOADING'), 'UPDATING', 'UPDATING']);
    expect(settled.every((job) => typeof job.lastStateChangeTime === 'number')).toBe(true);
  });

  it('executes the update again after the device deferred it twice (result 11), and succeeds', async () => {
    const [device] = await fleet({ endpoint: 'defers-twice', deferUpdates: 2 });

    const job = await waitForJob(stack, await startJob(stack, 'defers-twice', image));

    expect(job).toMatchObject({ status: JobStatus.Succeeded, reportedVersion: '2.0.0', deferrals: 2 });
    expect(job.history.map((entry) => entry.to)).toEqual(['DOWNLOADING', 'DOWNLOADED', 'UPDATING', 'DOWNLOADED', 'UPDATING', 'DOWNLOADED', 'UPDATING', 'VERIFYING', 'SUCCEEDED']);
    expect(device?.firmwareLog.deferredUpdates).toBe(2);
  });

  it('writes Severity and Maximum Defer Period before the download when the job carries them', async () => {
    const [device] = await fleet({ endpoint: 'told-severity' });

    const job = await waitForJob(stack, await startJob(stack, 'told-severity', image, { severity: 0, maxDeferPeriodSeconds: 3600 }));

    expect(job.status).toBe(JobStatus.Succeeded);
    expect(device?.writes).toEqual(expect.arrayContaining([{ path: '/5/0/11', value: '0' }, { path: '/5/0/13', value: '3600' }]));
  });

  it('cancels a download with Execute /5/0/10: the device goes Idle with result 10, the job CANCELLED, the token dead', async () => {
    const [device] = await fleet({ endpoint: 'cancelled-v11', blockSize: 64, pullInterruptAfterBlocks: 3, pullResumeDelayMs: 5_000 });
    const job = await startJob(stack, 'cancelled-v11', image, {}, false);
    await waitForJob(stack, job, (j) => j.status === JobStatus.Downloading);
    await expect.poll(() => device?.firmwareLog.packageUris.length, { timeout: 5_000 }).toBe(1);

    const outcome = await stack.edge.cancelDownload(job, 'OPERATOR_CANCEL');

    expect(outcome).toMatchObject({ kind: 'cancelled', device: 'cancelExecuted', job: { status: JobStatus.Cancelled, reason: 'OPERATOR_CANCEL' } });
    expect(device).toMatchObject({ state: 0, result: 10 });
    expect(device?.firmwareLog.cancels).toBe(1);
    expect((await getBlock(stack.edge.address.port, packageTokenOf(job))).code).toBe('4.04');
  });

  it('falls back to an empty Package URI on a 1.0 device without Cancel, which resets it to Idle', async () => {
    const [device] = await fleet({ endpoint: 'cancelled-v10', lwm2mVersion: '1.0', blockSize: 64, pullInterruptAfterBlocks: 3, pullResumeDelayMs: 5_000 });
    const job = await startJob(stack, 'cancelled-v10', image, {}, false);
    await expect.poll(() => device?.firmwareLog.packageUris.length, { timeout: 5_000 }).toBe(1);

    const outcome = await stack.edge.cancelDownload(job);

    expect(outcome).toMatchObject({ kind: 'cancelled', device: 'packageUriReset', job: { status: JobStatus.Cancelled } });
    expect(device).toMatchObject({ state: 0, result: 0 });
  });

  it('resets a push device that has no Cancel with an empty Package', async () => {
    const [device] = await fleet({ endpoint: 'push-v10', lwm2mVersion: '1.0', deliveryMethod: 1 });
    const job = await startJob(stack, 'push-v10', image, {}, false);
    await waitForJob(stack, job, (j) => j.status === JobStatus.Downloaded);

    const outcome = await stack.edge.cancelDownload(job);

    expect(outcome).toMatchObject({ kind: 'cancelled', device: 'packageReset' });
    expect(device).toMatchObject({ state: 0, result: 0 });
  });

  it('will not cancel a job whose device is already installing', async () => {
    await fleet({ endpoint: 'too-late', rebootDelayMs: 2_000 });
    const job = await startJob(stack, 'too-late', image);
    await waitForJob(stack, job, (j) => j.status === JobStatus.Updating);

    expect(await stack.edge.cancelDownload(job)).toEqual({ kind: 'notCancellable', status: JobStatus.Updating });
  });
});
