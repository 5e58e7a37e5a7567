import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { LocalStack } from '../../local/LocalStack.ts';
import { triggerCampaign } from '../../functions/shared/campaignLifecycle.ts';
import { S3FirmwareImageRegistry } from '../../store/ImageRegistry.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { CampaignStatus, type Campaign } from '../../core/campaign/Campaign.ts';
import type { FirmwareImage } from '../../core/images/FirmwareImage.ts';
import { runFota, spawnFota } from './fotaCli.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('the image registry: presigned uploads to S3, server-side hash, delete', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const campaignUsing = async (imageId: string, status: Campaign['status']): Promise<string> => {
    const now = Date.now();
    const campaignId = randomUUID();
    await stack.stores.campaigns.create({ campaignId, name: 'uses the image', imageId, target: {}, cohortPercentages: [100], pollSeconds: 1, downloadTimeoutSeconds: 60, installTimeoutSeconds: 60, abortFailurePercent: 5, status, targetVersion: '1', createdAt: now, updatedAt: now });
    // As a create through the API does: the campaign holds the image by a reservation on its record.
    expect(await stack.stores.imageReservations.reserveForCampaign(imageId, campaignId, now)).toBe(true);
    return campaignId;
  };

  it('uploads through a presigned PUT, then verifies the image with the SHA-256 of what S3 stored', async () => {
    const bytes = buildFirmwarePackage('5.1.0', 70_000);
    const created = await call('POST', '/images', { version: '5.1.0', models: ['REG-1'], compatibleFrom: ['5.0.0'], sizeBytes: bytes.length, sha256: sha256(bytes) });
    expect(created.status).toBe(201);
    const { image, upload } = created.body as { image: FirmwareImage; upload: { kind: string; url: string } };
    expect(image).toMatchObject({ status: 'UPLOADING', verified: false, sha256: '' });
    expect(upload.kind).toBe('single');

    const put = await fetch(upload.url, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);
    const completed = await call('POST', `/images/${image.imageId}/complete`);

    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: 'VERIFIED', verified: true, sha256: sha256(bytes), sizeBytes: bytes.length, compatibleFrom: ['5.0.0'] });
  });

  it('rejects an upload whose stored bytes differ from the declared SHA-256 (422), and keeps it out of campaigns', async () => {
    const bytes = buildFirmwarePackage('5.2.0', 1_000);
    const created = await call('POST', '/images', { version: '5.2.0', models: ['REG-1'], sizeBytes: bytes.length, sha256: sha256(Buffer.from('something else')) });
    const { image, upload } = created.body as { image: FirmwareImage; upload: { url: string } };
    await fetch(upload.url, { method: 'PUT', body: bytes });

    const completed = await call('POST', `/images/${image.imageId}/complete`);

    expect(completed).toMatchObject({ status: 422, body: { error: { code: 'IMAGE_INTEGRITY' } } });
    expect(await stack.stores.images.get(image.imageId)).toMatchObject({ status: 'REJECTED', verified: false });
    const campaign = await call('POST', '/campaigns', { name: 'on a rejected image', imageId: image.imageId, target: { model: 'REG-1' } });
    expect(campaign).toMatchObject({ status: 400, body: { error: { code: 'INVALID_CAMPAIGN' } } });
  });

  it('refuses to complete an upload whose bytes never arrived (409)', async () => {
    const created = await call('POST', '/images', { version: '5.3.0', models: ['REG-1'], sizeBytes: 10 });
    const { image } = created.body as { image: FirmwareImage };
    expect(await call('POST', `/images/${image.imageId}/complete`)).toMatchObject({ status: 409, body: { error: { code: 'UPLOAD_STATE' } } });
  });

  it('uploads a large image in parts through presigned UploadPart URLs', async () => {
    const registry = new S3FirmwareImageRegistry(stack.stores.clients.dynamo, stack.stores.clients.s3, stack.config.tables.images, stack.config.imageBucket, { singlePutMaxBytes: 256 * 1024, partSizeBytes: 128 * 1024 });
    const bytes = buildFirmwarePackage('6.0.0', 300 * 1024);
    const { image, upload } = await registry.createUpload({ version: '6.0.0', models: ['REG-2'], sizeBytes: bytes.length, sha256: sha256(bytes) });
    if (upload.kind !== 'multipart') throw new Error('expected a multipart upload');
    expect(upload.parts.map((part) => part.partNumber)).toEqual([1, 2, 3]);

    const parts = [];
    for (const part of upload.parts) {
      const start = (part.partNumber - 1) * upload.partSizeBytes;
      const response = await fetch(part.url, { method: 'PUT', body: bytes.subarray(start, start + upload.partSizeBytes) });
      parts.push({ partNumber: part.partNumber, etag: response.headers.get('etag') ?? '' });
    }
    const verified = await registry.completeUpload(image.imageId, parts);

    expect(verified).toMatchObject({ status: 'VERIFIED', sha256: sha256(bytes), sizeBytes: bytes.length });
    await expect(registry.completeUpload(image.imageId, parts)).resolves.toMatchObject({ status: 'VERIFIED' });
  });

  it('verifies a multipart upload only with every part', async () => {
    const registry = new S3FirmwareImageRegistry(stack.stores.clients.dynamo, stack.stores.clients.s3, stack.config.tables.images, stack.config.imageBucket, { singlePutMaxBytes: 1024, partSizeBytes: 1024 });
    const { image } = await registry.createUpload({ version: '6.1.0', models: ['REG-2'], sizeBytes: 3000 });
    await expect(registry.completeUpload(image.imageId, [{ partNumber: 1, etag: 'x' }])).rejects.toMatchObject({ name: 'ImageUploadStateError' });
  });

  it('refuses to delete an image a running or created campaign uses (409), and deletes it once they finished', async () => {
    const image = await stack.stores.images.store({ version: '7.0.0', models: ['REG-3'] }, buildFirmwarePackage('7.0.0', 500));
    const running = await campaignUsing(image.imageId, CampaignStatus.Running);
    const created = await campaignUsing(image.imageId, CampaignStatus.Created);

    const refused = await call('DELETE', `/images/${image.imageId}`);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'IMAGE_IN_USE' } } });
    expect(String((refused.body['error'] as { message: string }).message)).toContain(running);

    const summary = { devices: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, failureReasons: {} };
    expect(await triggerCampaign(stack.stores.campaigns, running, { kind: 'completed', summary }, Date.now)).toMatchObject({ kind: 'applied', campaign: { status: 'SUCCEEDED' } });
    expect(await triggerCampaign(stack.stores.campaigns, created, { kind: 'failed', summary, failureCause: 'test' }, Date.now)).toMatchObject({ kind: 'applied', campaign: { status: 'FAILED' } });
    expect(await call('DELETE', `/images/${image.imageId}`)).toMatchObject({ status: 200, body: { imageId: image.imageId, deleted: true } });
    expect((await call('GET', `/images/${image.imageId}`)).status).toBe(404);
    await expect(stack.stores.clients.s3.send(new HeadObjectCommand({ Bucket: stack.config.imageBucket, Key: image.objectKey }))).rejects.toMatchObject({ name: 'NotFound' });
    expect((await call('DELETE', `/images/${image.imageId}`)).status).toBe(404);
  });

  it('keeps the inline base64 upload for small images', async () => {
    const bytes = buildFirmwarePackage('7.1.0', 300);
    const created = await call('POST', '/images', { version: '7.1.0', models: ['REG-4'], contentBase64: bytes.toString('base64') });
    expect(created).toMatchObject({ status: 201, body: { status: 'VERIFIED', sha256: sha256(bytes) } });
  });

  it('names the missing size when a create carries neither bytes nor a size (400)', async () => {
    expect(await call('POST', '/images', { version: '7.2.0', models: ['REG-4'] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'sizeBytes' } } });
  });

  it('uploads a file with `fota images upload` and deletes it with `fota images delete`', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fota-cli-image-'));
    const file = join(directory, 'firmware-8.0.0.bin');
    const bytes = buildFirmwarePackage('8.0.0', 40_000);
    await writeFile(file, bytes);
    const cli = (...args: string[]) => runFota(stack.apiUrl, ...args);

    const uploaded = JSON.parse((await cli('--json', 'images', 'upload', file, '--version', '8.0.0', '--models', 'REG-5,REG-6', '--compatible-from', '7.0.0')).stdout) as FirmwareImage;

    expect(uploaded).toMatchObject({ version: '8.0.0', models: ['REG-5', 'REG-6'], compatibleFrom: ['7.0.0'], status: 'VERIFIED', sha256: sha256(bytes), sizeBytes: bytes.length });
    expect((await cli('images', 'list')).stdout).toContain(uploaded.imageId);
    expect((await spawnFota(stack.apiUrl, {}, ['images', 'delete', uploaded.imageId])).stdout).toContain('deleted');
    expect(await stack.stores.images.get(uploaded.imageId)).toBeUndefined();
  });
});
