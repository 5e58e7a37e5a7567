/**
 * Signed images and the model scope, through the local stack's REST API and the `fota` CLI, on a
 * stack that requires signed images (requireSignedImages) and knows one signer, "release".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStack } from '../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { signImageHash } from '../../store/imageSigning.ts';
import type { DetachedSignature, FirmwareImage } from '../../core/images/FirmwareImage.ts';
import { runFota, spawnFota } from './fotaCli.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const keyPair = () => {
  const pair = generateKeyPairSync('ed25519');
  return { publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
};
const release = keyPair();
const stranger = keyPair();

describe('signed images on a stage that requires them, and the model scope of an image', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', imageSigning: { signers: [{ name: 'release', publicKeyPem: release.publicKeyPem }], requireSignedImages: true } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** Creates a presigned upload with this signature, PUTs the bytes, and completes. */
  const presignedUpload = async (bytes: Buffer, signature: DetachedSignature) => {
    const created = await call('POST', '/images', { version: '1.1.0', models: ['SIG-1'], sizeBytes: bytes.length, sha256: sha256(bytes), signature });
    const { image, upload } = created.body as { image: FirmwareImage; upload: { url: string } };
    await fetch(upload.url, { method: 'PUT', body: bytes });
    return { imageId: image.imageId, completed: await call('POST', `/images/${image.imageId}/complete`) };
  };

  it('verifies an image signed by a configured signer and records who signed', async () => {
    const bytes = buildFirmwarePackage('1.1.0', 3_000);
    const { completed } = await presignedUpload(bytes, signImageHash(sha256(bytes), release.privateKeyPem));
    expect(completed).toMatchObject({ status: 200, body: { status: 'VERIFIED', signedBy: { signer: 'release', algorithm: 'ed25519' } } });
  });

  it('rejects at complete (422) an image whose signature is over other bytes, and marks it REJECTED', async () => {
    const bytes = buildFirmwarePackage('1.1.0', 3_000);
    const { imageId, completed } = await presignedUpload(bytes, signImageHash(sha256(Buffer.from('other bytes')), release.privateKeyPem));
    expect(completed).toMatchObject({ status: 422, body: { error: { code: 'IMAGE_SIGNATURE' } } });
    expect(await stack.stores.images.get(imageId)).toMatchObject({ status: 'REJECTED', verified: false, rejectReason: expect.stringContaining('does not verify') });
  });

  it('rejects at complete (422) an image signed by a key the stack does not know', async () => {
    const bytes = buildFirmwarePackage('1.1.0', 3_000);
    const { completed } = await presignedUpload(bytes, signImageHash(sha256(bytes), stranger.privateKeyPem));
    expect(completed).toMatchObject({ status: 422, body: { error: { code: 'IMAGE_SIGNATURE', message: expect.stringContaining('is configured for this stack') } } });
  });

  it('refuses an unsigned image with 400 SIGNATURE_REQUIRED before any byte is uploaded', async () => {
    const refused = await call('POST', '/images', { version: '1.1.0', models: ['SIG-1'], sizeBytes: 100 });
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'SIGNATURE_REQUIRED', field: 'signature' } } });
  });

  it('checks the signature of a small image sent inline too', async () => {
    const bytes = buildFirmwarePackage('1.2.0', 500);
    const good = await call('POST', '/images', { version: '1.2.0', models: ['SIG-1'], contentBase64: bytes.toString('base64'), signature: signImageHash(sha256(bytes), release.privateKeyPem) });
    const bad = await call('POST', '/images', { version: '1.2.0', models: ['SIG-1'], contentBase64: bytes.toString('base64'), signature: signImageHash(sha256(bytes), stranger.privateKeyPem) });
    expect([good.status, good.body['signedBy']]).toEqual([201, expect.objectContaining({ signer: 'release' })]);
    expect(bad).toMatchObject({ status: 422, body: { error: { code: 'IMAGE_SIGNATURE' } } });
  });

  it('refuses an image with no models (400) unless it says anyModel: true', async () => {
    const signature = signImageHash('00'.repeat(32), release.privateKeyPem);
    const noModels = await call('POST', '/images', { version: '1.3.0', models: [], sizeBytes: 100, signature });
    const noField = await call('POST', '/images', { version: '1.3.0', sizeBytes: 100, signature });
    const any = await call('POST', '/images', { version: '1.3.0', anyModel: true, sizeBytes: 100, signature });
    expect([noModels, noField]).toMatchObject([
      { status: 400, body: { error: { field: 'models', message: expect.stringContaining('anyModel: true') } } },
      { status: 400, body: { error: { field: 'models' } } },
    ]);
    expect(any).toMatchObject({ status: 201, body: { image: { models: [], anyModel: true } } });
  });

  it('refuses anyModel: true beside a models list (400): the two contradict each other', async () => {
    const both = await call('POST', '/images', { version: '1.3.0', models: ['SIG-1'], anyModel: true, sizeBytes: 100, signature: signImageHash('00'.repeat(32), release.privateKeyPem) });
    expect(both).toMatchObject({ status: 400, body: { error: { field: 'anyModel' } } });
  });

  it('signs with `fota images upload --sign-key --signer --any-model`, and `fota images show` and `list` say who signed', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fota-cli-signed-'));
    const file = join(directory, 'firmware-2.0.0.bin');
    const keyFile = join(directory, 'release.pem');
    await writeFile(file, buildFirmwarePackage('2.0.0', 20_000));
    await writeFile(keyFile, release.privateKeyPem);
    const cli = (...args: string[]) => runFota(stack.apiUrl, ...args);

    const uploaded = JSON.parse((await cli('--json', 'images', 'upload', file, '--version', '2.0.0', '--any-model', '--sign-key', keyFile, '--signer', 'release')).stdout) as FirmwareImage;

    expect(uploaded).toMatchObject({ status: 'VERIFIED', anyModel: true, signedBy: { signer: 'release', algorithm: 'ed25519' } });
    expect((await cli('images', 'show', uploaded.imageId)).stdout).toContain(`signed by release (${uploaded.signedBy?.keyId ?? '?'}, ed25519)`);
    expect((await cli('images', 'list')).stdout).toMatch(new RegExp(`${uploaded.imageId}.*release \\(${uploaded.signedBy?.keyId ?? '?'}\\)`));
  });

  it('fails `fota images upload` without --sign-key on this stage, naming the setting', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fota-cli-unsigned-'));
    const file = join(directory, 'firmware-2.1.0.bin');
    await writeFile(file, buildFirmwarePackage('2.1.0', 1_000));
    const failed = await spawnFota(stack.apiUrl, {}, ['images', 'upload', file, '--version', '2.1.0', '--models', 'SIG-1']);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('requireSignedImages') });
  });
});
