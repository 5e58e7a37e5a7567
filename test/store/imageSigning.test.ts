import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, sign } from 'node:crypto';
import { ImageSignatureVerifier, keyIdOf, signImageHash } from '../../store/imageSigning.ts';
import { ImageSignatureError, ImageSignatureRequiredError } from '../../store/errors.ts';
import { ConfigurationError, loadImageSigningPolicy, loadStoreConfig } from '../../store/config.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedMessageOf } from '../../core/images/FirmwareImage.ts';

const pem = (kind: 'ed25519' | 'p256' | 'rsa') => {
  const pair =
    kind === 'ed25519' ? generateKeyPairSync('ed25519') : kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 1024 });
  return { publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: pair.publicKey };
};
const release = pem('ed25519');
const factory = pem('p256');
const stranger = pem('ed25519');
const HASH = 'ab'.repeat(32);
const OTHER_HASH = 'cd'.repeat(32);
const verifier = new ImageSignatureVerifier({ signers: [{ name: 'release', publicKeyPem: release.publicKeyPem }, { name: 'factory', publicKeyPem: factory.publicKeyPem }], requireSignedImages: false });

describe('image signatures: detached, over the SHA-256, checked against the stack signer keys', () => {
  it('accepts an Ed25519 signature and names its signer and key id', () => {
    expect(verifier.check(HASH, signImageHash(HASH, release.privateKeyPem))).toEqual({ algorithm: 'ed25519', keyId: keyIdOf(release.publicKey), signer: 'release' });
  });

  it('accepts an ECDSA P-256 signature made with openssl-style SHA-256 over the 32 hash bytes', () => {
    const value = sign('sha256', signedMessageOf(HASH), factory.privateKeyPem).toString('base64');
    expect(verifier.check(HASH, { algorithm: 'ecdsa-p256-sha256', value })).toMatchObject({ signer: 'factory', algorithm: 'ecdsa-p256-sha256' });
  });

  it('refuses a signature over another hash', () => {
    expect(() => verifier.check(OTHER_HASH, signImageHash(HASH, release.privateKeyPem))).toThrow(ImageSignatureError);
  });

  it('refuses a signature by a key the stack does not know', () => {
    expect(() => verifier.check(HASH, signImageHash(HASH, stranger.privateKeyPem))).toThrow(/is configured for this stack/);
  });

  it('refuses a good signature claimed for another configured signer', () => {
    expect(() => verifier.check(HASH, { ...signImageHash(HASH, release.privateKeyPem), signer: 'factory' })).toThrow(ImageSignatureError);
  });

  it('refuses a malformed signature value as a signature that does not verify', () => {
    expect(() => verifier.check(HASH, { algorithm: 'ecdsa-p256-sha256', value: 'AAAA' })).toThrow(/does not verify/);
  });

  it('lets an unsigned image through unless signed images are required', () => {
    expect(verifier.check(HASH, undefined)).toBeUndefined();
    const strict = new ImageSignatureVerifier({ signers: [{ name: 'release', publicKeyPem: release.publicKeyPem }], requireSignedImages: true });
    expect(() => strict.check(HASH, undefined)).toThrow(ImageSignatureRequiredError);
  });

  it('refuses, at start-up, an RSA signer key and a requirement with no key', () => {
    expect(() => new ImageSignatureVerifier({ signers: [{ name: 'old', publicKeyPem: pem('rsa').publicKeyPem }], requireSignedImages: false })).toThrow(ConfigurationError);
    expect(() => new ImageSignatureVerifier({ signers: [], requireSignedImages: true })).toThrow(/no signer key is configured/);
  });

  it('signs the 32 bytes of the hash, not its hex text', () => {
    expect(Buffer.from(signedMessageOf(HASH)).toString('hex')).toBe(HASH);
    expect(() => signedMessageOf('AB'.repeat(32))).toThrow(RangeError);
  });
});

describe('signer keys from the environment (store/config.ts)', () => {
  it('reads FOTA_IMAGE_SIGNERS as JSON and FOTA_REQUIRE_SIGNED_IMAGES as true/false', () => {
    const signers = [{ name: 'release', publicKeyPem: release.publicKeyPem }];
    expect(loadImageSigningPolicy({ FOTA_IMAGE_SIGNERS: JSON.stringify(signers), FOTA_REQUIRE_SIGNED_IMAGES: 'true' })).toEqual({ signers, requireSignedImages: true });
    expect(loadStoreConfig({ FOTA_IMAGE_SIGNERS: JSON.stringify(signers) }).imageSigning).toEqual({ signers, requireSignedImages: false });
  });

  it('reads the same list from FOTA_IMAGE_SIGNERS_FILE', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'fota-signers-')), 'signers.json');
    await writeFile(file, JSON.stringify([{ name: 'factory', publicKeyPem: factory.publicKeyPem }]));
    expect(loadImageSigningPolicy({ FOTA_IMAGE_SIGNERS_FILE: file }).signers).toEqual([{ name: 'factory', publicKeyPem: factory.publicKeyPem }]);
  });

  it('names the variable when the list is not JSON or misses a field', () => {
    expect(() => loadImageSigningPolicy({ FOTA_IMAGE_SIGNERS: '[{' })).toThrow(/FOTA_IMAGE_SIGNERS: not JSON/);
    expect(() => loadImageSigningPolicy({ FOTA_IMAGE_SIGNERS: '[{"name":"x"}]' })).toThrow(/FOTA_IMAGE_SIGNERS: 0\.publicKeyPem/);
    expect(() => loadImageSigningPolicy({ FOTA_REQUIRE_SIGNED_IMAGES: 'yes' })).toThrow(/FOTA_REQUIRE_SIGNED_IMAGES/);
  });
});
