/**
 * Only the verified bytes reach devices: after `complete`, neither a PUT through the old upload
 * URL nor an overwrite of the served object in S3 changes what a device receives, by CoAP pull or
 * by HTTP pull. The tampered bytes here are a valid package of another version (6.6.6): a device
 * that received them would install them and report 6.6.6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalStack } from '../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import type { SimulatedDevice } from '../../sim/SimulatedDevice.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { ImageStatus, type FirmwareImage } from '../../core/images/FirmwareImage.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { startDevices, startJob, waitForJob } from './firmwareHelpers.ts';

const COAP = 0;
const HTTP = 2;
const BODY_BYTES = 6_000;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('immutable images: only the verified bytes reach devices', () => {
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

  /** Uploads through the API's presigned PUT and completes; returns the image and the upload URL it used. */
  const upload = async (version: string, model: string): Promise<{ image: FirmwareImage; uploadUrl: string; bytes: Buffer }> => {
    const bytes = buildFirmwarePackage(version, BODY_BYTES);
    const created = await fetch(`${stack.apiUrl}/images`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version, models: [model], sizeBytes: bytes.length, sha256: sha256(bytes) }) });
    const { image, upload: presigned } = (await created.json()) as { image: FirmwareImage; upload: { url: string } };
    expect((await fetch(presigned.url, { method: 'PUT', body: bytes })).status).toBe(200);
    const completed = await fetch(`${stack.apiUrl}/images/${image.imageId}/complete`, { method: 'POST' });
    expect(completed.status).toBe(200);
    return { image: (await completed.json()) as FirmwareImage, uploadUrl: presigned.url, bytes };
  };
  const evilBytes = (): Buffer => buildFirmwarePackage('6.6.6', BODY_BYTES);
  const overwriteInS3 = (image: FirmwareImage): Promise<unknown> => stack.stores.clients.s3.send(new PutObjectCommand({ Bucket: stack.config.imageBucket, Key: image.objectKey, Body: evilBytes() }));

  it('serves the verified bytes from a key the upload URL never wrote, pinned by ETag', async () => {
    const { image, uploadUrl, bytes } = await upload('7.0.0', 'IMM-0');

    expect(image).toMatchObject({ status: ImageStatus.Verified, sha256: sha256(bytes), objectKey: `images/${image.imageId}.bin`, uploadKey: `uploads/${image.imageId}.bin` });
    expect(image.objectETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(new URL(uploadUrl).pathname).not.toContain(image.objectKey);
  });

  it('never serves what a PUT through the old upload URL writes after complete, by CoAP or by HTTP pull', async () => {
    const [coap, http] = await fleet({ endpoint: 'imm-url-coap', model: 'IMM-1', protocols: [COAP] }, { endpoint: 'imm-url-http', model: 'IMM-1', protocols: [COAP, HTTP] });
    const { image, uploadUrl } = await upload('7.1.0', 'IMM-1');

    // The URL may still accept the PUT for its hour; what it writes is never read.
    await fetch(uploadUrl, { method: 'PUT', body: evilBytes() });
    const jobs = await Promise.all([waitForJob(stack, await startJob(stack, 'imm-url-coap', image)), waitForJob(stack, await startJob(stack, 'imm-url-http', image))]);

    expect(jobs.map((job) => [job.status, job.delivery, job.reportedVersion])).toEqual([
      [JobStatus.Succeeded, 'coap-pull', '7.1.0'],
      [JobStatus.Succeeded, 'http-pull', '7.1.0'],
    ]);
    expect([coap?.firmwareVersion, http?.firmwareVersion]).toEqual(['7.1.0', '7.1.0']);
    expect((await stack.stores.images.get(image.imageId))?.status).toBe(ImageStatus.Verified);
  });

  it('fails a CoAP-pull job with IMAGE_TAMPERED when the served object was overwritten in S3, and marks the image TAMPERED', async () => {
    const [device] = await fleet({ endpoint: 'imm-s3-coap', model: 'IMM-2', protocols: [COAP] });
    const { image } = await upload('7.2.0', 'IMM-2');
    await overwriteInS3(image);

    const job = await waitForJob(stack, await startJob(stack, 'imm-s3-coap', image));

    expect(job).toMatchObject({ status: JobStatus.Failing, reason: 'IMAGE_TAMPERED' });
    expect(device?.firmwareVersion).toBe('1.0.0');
    expect(await stack.stores.images.get(image.imageId)).toMatchObject({ status: ImageStatus.Tampered, verified: false, tamperReason: expect.stringContaining('not the verified ones') });
  });

  it('hands an HTTP-pull device no URL when the served object was overwritten in S3, failing its job with IMAGE_TAMPERED', async () => {
    const [device] = await fleet({ endpoint: 'imm-s3-http', model: 'IMM-3', protocols: [HTTP] });
    const { image } = await upload('7.3.0', 'IMM-3');
    await overwriteInS3(image);

    const job = await waitForJob(stack, await startJob(stack, 'imm-s3-http', image));

    expect(job).toMatchObject({ status: JobStatus.Failing, reason: 'IMAGE_TAMPERED' });
    expect(device?.firmwareLog.packageUris).toEqual([]);
    expect(device?.firmwareVersion).toBe('1.0.0');
    expect((await stack.stores.images.get(image.imageId))?.status).toBe(ImageStatus.Tampered);
  });

  it('keeps serving the verified bytes it already holds after an overwrite, so a later CoAP device still gets the verified version', async () => {
    const [first, second] = await fleet({ endpoint: 'imm-warm-1', model: 'IMM-4', protocols: [COAP] }, { endpoint: 'imm-warm-2', model: 'IMM-4', protocols: [COAP] });
    const { image } = await upload('7.4.0', 'IMM-4');
    expect(await waitForJob(stack, await startJob(stack, 'imm-warm-1', image))).toMatchObject({ status: JobStatus.Succeeded });
    await overwriteInS3(image);

    const job = await waitForJob(stack, await startJob(stack, 'imm-warm-2', image));

    expect(job).toMatchObject({ status: JobStatus.Succeeded, reportedVersion: '7.4.0' });
    expect([first?.firmwareVersion, second?.firmwareVersion]).toEqual(['7.4.0', '7.4.0']);
  });

  it('shows IMAGE_TAMPERED in the campaign: its failure reasons and its abort reason', async () => {
    await fleet({ endpoint: 'imm-cmp-coap', model: 'IMM-5', protocols: [COAP] }, { endpoint: 'imm-cmp-http', model: 'IMM-5', protocols: [HTTP] });
    const { image } = await upload('7.5.0', 'IMM-5');
    await overwriteInS3(image);

    const launched = await launchCampaign(stack.stores, stack.stepFunctions, { name: 'tampered image', imageId: image.imageId, target: { model: 'IMM-5' }, pollSeconds: 1, abortFailurePercent: 50 });
    await stack.stepFunctions.executions.get(launched.executionId)?.done;
    const campaign = await stack.stores.campaigns.get(launched.campaignId);

    expect(campaign?.summary?.failureReasons).toEqual({ IMAGE_TAMPERED: 2 });
    expect(campaign?.abortReason).toMatch(/failures 100\.0% > 50%/);
  });

  it('keeps a TAMPERED image out of service even when the verified bytes are put back: complete answers 409', async () => {
    const { image, bytes } = await upload('7.7.0', 'IMM-7');
    await overwriteInS3(image);
    await expect(stack.stores.images.readBytes(image)).rejects.toThrow(/not the verified ones/);
    await stack.stores.clients.s3.send(new PutObjectCommand({ Bucket: stack.config.imageBucket, Key: image.objectKey, Body: bytes }));

    const completed = await fetch(`${stack.apiUrl}/images/${image.imageId}/complete`, { method: 'POST' });

    expect(completed.status).toBe(409);
    expect(await stack.stores.images.get(image.imageId)).toMatchObject({ status: ImageStatus.Tampered, verified: false });
    expect(await stack.edge.images.get(image.imageId)).toBeUndefined();
  });

  it('refuses a campaign on an image already marked TAMPERED', async () => {
    await fleet({ endpoint: 'imm-late', model: 'IMM-6', protocols: [COAP] });
    const { image } = await upload('7.6.0', 'IMM-6');
    await overwriteInS3(image);
    await expect(stack.stores.images.readBytes(image)).rejects.toThrow(/not the verified ones/);

    await expect(launchCampaign(stack.stores, stack.stepFunctions, { name: 'too late', imageId: image.imageId, target: { model: 'IMM-6' }, pollSeconds: 1 })).rejects.toThrow(/verified|VERIFIED|TAMPERED/);
  });
});
