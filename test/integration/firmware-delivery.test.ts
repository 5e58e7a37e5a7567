import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalStack } from '../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import type { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { getBlock, startDevices, startJob, waitForJob } from './firmwareHelpers.ts';
import { packageTokenOf } from '../../core/jobs/packageToken.ts';

const COAP = 0;
const HTTP = 2;
const HTTPS = 3;

describe('firmware delivery: CoAP pull, HTTP pull and push, over real sockets', () => {
  let stack: LocalStack;
  const devices: SimulatedDevice[] = [];

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 100, edgeDelivery: { stateCheckIntervalMs: 1_000 } });
  });

  afterAll(async () => {
    await Promise.all(devices.map((device) => device.stop()));
    await stack?.stop();
  });

  const fleet = async (...options: Parameters<typeof startDevices>[1]): Promise<SimulatedDevice[]> => {
    const started = await startDevices(stack, options);
    devices.push(...started);
    return started;
  };

  it('delivers each device the way its /5/0/8 and /5/0/9 ask, through a campaign, and fails the one nothing fits', async () => {
    const [coap, http, push] = await fleet(
      { endpoint: 'dlv-coap', model: 'DLV-1', protocols: [COAP] },
      { endpoint: 'dlv-http', model: 'DLV-1', protocols: [COAP, HTTP] },
      { endpoint: 'dlv-push', model: 'DLV-1', deliveryMethod: 1 },
      { endpoint: 'dlv-https-only', model: 'DLV-1', protocols: [HTTPS] },
    );
    const bytes = buildFirmwarePackage('3.0.0', 20_000);
    const image = await stack.stores.images.store({ version: '3.0.0', models: ['DLV-1'] }, bytes);
    const blocksBefore = stack.edge.firmware.stats.blocksServed;

    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, { name: 'every delivery path', imageId: image.imageId, target: { model: 'DLV-1' }, pollSeconds: 1, abortFailurePercent: 50 });
    await stack.stepFunctions.executions.get(campaign.executionId)?.done;

    const jobs = new Map((await stack.stores.jobs.listCampaign(campaign.campaignId)).map((job) => [job.endpoint, job]));
    expect(jobs.get('dlv-coap')).toMatchObject({ status: JobStatus.Succeeded, delivery: 'coap-pull', reportedVersion: '3.0.0' });
    expect(jobs.get('dlv-http')).toMatchObject({ status: JobStatus.Succeeded, delivery: 'http-pull', reportedVersion: '3.0.0' });
    expect(jobs.get('dlv-push')).toMatchObject({ status: JobStatus.Succeeded, delivery: 'push', reportedVersion: '3.0.0' });
    // Locally the presigned URLs are http://; a device that lists only HTTPS gets nothing it did not list.
    expect(jobs.get('dlv-https-only')).toMatchObject({ status: JobStatus.Failed, reason: 'UNSUPPORTED_PROTOCOL' });
    expect(coap?.firmwareLog.packageUris[0]).toMatch(/^coap:\/\/127\.0\.0\.1:\d+\/fw\//);
    expect(http?.firmwareLog.packageUris[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fota-images\/images\/.*X-Amz-Expires=900.*X-Amz-Signature=/);
    expect(push?.firmwareLog).toMatchObject({ packageUris: [], pushedBlocks: Math.ceil(bytes.length / 1024) });
    // Only the CoAP device's blocks left the edge's block server (one image's worth, not two); the
    // HTTP device read S3. On a busy machine a device may ask for a block again after its own
    // timeout (a new request, not a retransmission the edge deduplicates), which is served again.
    const blocks = Math.ceil(bytes.length / 512);
    const served = stack.edge.firmware.stats.blocksServed - blocksBefore;
    expect(served).toBeGreaterThanOrEqual(blocks);
    expect(served).toBeLessThan(2 * blocks);
  });

  it('pushes a 2 MiB image block-wise and serves it over CoAP, each byte intact', async () => {
    const [pushed, pulled] = await fleet({ endpoint: 'big-push', model: 'BIG-1', deliveryMethod: 1 }, { endpoint: 'big-pull', model: 'BIG-1', blockSize: 1024 });
    const image = await stack.stores.images.store({ version: '4.0.0', models: ['BIG-1'] }, buildFirmwarePackage('4.0.0', 2 * 1024 * 1024 - 42));
    const blocks = Math.ceil(image.sizeBytes / 1024);
    const loadsBefore = stack.edge.images.loadsFromStore;

    const jobs = [await startJob(stack, 'big-push', image), await startJob(stack, 'big-pull', image)];
    const [pushJob, pullJob] = await Promise.all(jobs.map((job) => waitForJob(stack, job, undefined, 60_000)));

    expect(pushJob).toMatchObject({ status: JobStatus.Succeeded, delivery: 'push', reportedVersion: '4.0.0' });
    expect(pullJob).toMatchObject({ status: JobStatus.Succeeded, delivery: 'coap-pull', reportedVersion: '4.0.0' });
    expect(pushed?.firmwareLog.pushedBlocks).toBe(blocks);
    expect(pulled?.blocksFetched).toBe(blocks);
    // Both deliveries sliced the same cached copy, read from S3 once.
    expect(stack.edge.images.loadsFromStore - loadsBefore).toBe(1);
  });

  it("pushes at the device's preferred block size (2.31) and restarts smaller after a 4.13 with Size1", async () => {
    const [prefers256, takes128] = await fleet(
      { endpoint: 'push-prefers-256', model: 'PSH-1', deliveryMethod: 1, pushBlockSize: 256 },
      { endpoint: 'push-max-128', model: 'PSH-1', deliveryMethod: 2, protocols: [HTTPS], pushMaxBlockSize: 128 },
    );
    const image = await stack.stores.images.store({ version: '5.0.0', models: ['PSH-1'] }, buildFirmwarePackage('5.0.0', 6_000));

    const jobs = await Promise.all([startJob(stack, 'push-prefers-256', image), startJob(stack, 'push-max-128', image)]);
    const settled = await Promise.all(jobs.map((job) => waitForJob(stack, job)));

    expect(settled.map((job) => [job.status, job.delivery])).toEqual([
      [JobStatus.Succeeded, 'push'],
      [JobStatus.Succeeded, 'push'],
    ]);
    // The first block goes at 1024 bytes; the 2.31 asks for 256 from then on.
    expect(prefers256?.firmwareLog.pushedBlocks).toBe(1 + Math.ceil((image.sizeBytes - 1024) / 256));
    // The 1024-byte block is refused (4.13, Size1 128): the push starts again at 128 bytes.
    expect(takes128?.firmwareLog.pushedBlocks).toBe(Math.ceil(image.sizeBytes / 128));
  });

  it('serves every block size from 16 to 1024 bytes to devices pulling over CoAP', async () => {
    const sizes = [16, 32, 64, 128, 256, 512, 1024];
    const pullers = await fleet(...sizes.map((blockSize) => ({ endpoint: `block-${blockSize}`, model: 'BLK-1', blockSize })));
    const image = await stack.stores.images.store({ version: '6.0.0', models: ['BLK-1'] }, buildFirmwarePackage('6.0.0', 3_000));

    const jobs = await Promise.all(sizes.map((blockSize) => startJob(stack, `block-${blockSize}`, image)));
    const settled = await Promise.all(jobs.map((job) => waitForJob(stack, job)));

    expect(settled.map((job) => job.status)).toEqual(sizes.map(() => JobStatus.Succeeded));
    expect(pullers.map((device) => device.blocksFetched)).toEqual(sizes.map((size) => Math.ceil(image.sizeBytes / size)));
  });

  it('resumes an interrupted download from the next block with a new token, fetching no block twice', async () => {
    const [device] = await fleet({ endpoint: 'resumer', model: 'RSM-1', blockSize: 64, pullInterruptAfterBlocks: 7, pullResumeDelayMs: 300 });
    const image = await stack.stores.images.store({ version: '7.0.0', models: ['RSM-1'] }, buildFirmwarePackage('7.0.0', 2_000));
    const served = stack.edge.firmware.stats.blocksServed;

    const job = await waitForJob(stack, await startJob(stack, 'resumer', image));

    expect(job).toMatchObject({ status: JobStatus.Succeeded, reportedVersion: '7.0.0' });
    expect(device?.firmwareLog.resumedFromBlock).toBe(7);
    expect(device?.blocksFetched).toBe(Math.ceil(image.sizeBytes / 64));
    expect(stack.edge.firmware.stats.blocksServed - served).toBe(Math.ceil(image.sizeBytes / 64));
  });

  it('answers an unknown token with 4.04, and the token of a job that ended right away too', async () => {
    expect((await getBlock(stack.edge.address.port, 'no-such-token-0123')).code).toBe('4.04');

    const [device] = await fleet({ endpoint: 'token-owner', model: 'TOK-1', updateFailure: 8 });
    const image = await stack.stores.images.store({ version: '8.0.0', models: ['TOK-1'] }, buildFirmwarePackage('8.0.0', 1_000));
    const job = await startJob(stack, 'token-owner', image);
    await waitForJob(stack, job, (j) => j.status === JobStatus.Downloaded || j.status === JobStatus.Updating);
    expect((await getBlock(stack.edge.address.port, packageTokenOf(job))).code).toBe('2.05');

    const failed = await waitForJob(stack, job);

    expect(failed).toMatchObject({ status: JobStatus.Failing, reason: 'UPDATE_FAILED' });
    expect(device?.result).toBe(8);
    // The executor revoked the token when it ended the job: no wait for the 5 s lookup cache.
    expect((await getBlock(stack.edge.address.port, packageTokenOf(job))).code).toBe('4.04');
  });

  it('refuses to serve an image whose bytes changed in S3 after upload, and fails its job as IMAGE_TAMPERED', async () => {
    await fleet({ endpoint: 'victim', model: 'CRP-1' });
    const image = await stack.stores.images.store({ version: '9.0.0', models: ['CRP-1'] }, buildFirmwarePackage('9.0.0', 4_000));
    const tampered = buildFirmwarePackage('9.0.0', 4_000);
    await stack.stores.clients.s3.send(new PutObjectCommand({ Bucket: stack.config.imageBucket, Key: image.objectKey, Body: tampered }));
    const failuresBefore = stack.edge.images.failedLoads;

    const job = await waitForJob(stack, await startJob(stack, 'victim', image));

    expect(job).toMatchObject({ status: JobStatus.Failing, reason: 'IMAGE_TAMPERED' });
    expect(stack.edge.images.failedLoads).toBeGreaterThan(failuresBefore);
    const direct = await startJob(stack, 'victim-2', image, { status: JobStatus.Downloading, ownerTask: 'elsewhere' });
    expect((await getBlock(stack.edge.address.port, packageTokenOf(direct))).code).toBe('5.03');
  });

  it('records Update Result 5 when the package itself is corrupt and the device finds out', async () => {
    const [device] = await fleet({ endpoint: 'careful', model: 'PKG-1' });
    const corrupt = buildFirmwarePackage('9.1.0', 3_000);
    corrupt[100] = (corrupt[100] ?? 0) ^ 0xff;
    const image = await stack.stores.images.store({ version: '9.1.0', models: ['PKG-1'] }, corrupt);

    const job = await waitForJob(stack, await startJob(stack, 'careful', image));

    expect(job).toMatchObject({ status: JobStatus.Failing, reason: 'INTEGRITY_CHECK_FAILURE', updateResult: 5 });
    expect(device?.firmwareVersion).toBe('1.0.0');
  });
});
