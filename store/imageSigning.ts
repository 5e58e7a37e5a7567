/**
 * Detached image signatures, the node:crypto half: signer public keys configured for the stack,
 * key ids, checking a signature over an image's SHA-256, and signing one (the CLI). Which message
 * is signed is core's `signedMessageOf`; this module only does the cryptography.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { signedMessageOf, type DetachedSignature, type ImageSigner, type SignatureAlgorithm } from '../core/images/FirmwareImage.ts';
import { ConfigurationError } from './config.ts';
import { ImageSignatureError, ImageSignatureRequiredError } from './errors.ts';

/** A signer as the stack's configuration names it. */
export interface SignerKeyConfig {
  readonly name: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of an Ed25519 or ECDSA P-256 key. */
  readonly publicKeyPem: string;
}

export interface ImageSigningPolicy {
  readonly signers: readonly SignerKeyConfig[];
  /** Refuse images without a signature. */
  readonly requireSignedImages: boolean;
}

interface SignerKey {
  readonly name: string;
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly key: KeyObject;
}

/** The first 16 hex digits of the SHA-256 of the key's SPKI DER: stable for a key, whatever its PEM layout. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** The algorithm a key signs with, or undefined for a key of another kind (RSA, P-384...). */
export function algorithmOf(key: KeyObject): SignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256-sha256';
  return undefined;
}

/** Signs an image's SHA-256 with a PEM private key (what `fota images upload --sign-key` does). */
export function signImageHash(sha256Hex: string, privateKeyPem: string): DetachedSignature {
  const key = createPrivateKey(privateKeyPem);
  const algorithm = algorithmOf(key);
  if (algorithm === undefined) throw new ImageSignatureError(`the signing key is ${key.asymmetricKeyType ?? 'unknown'}: use an Ed25519 or ECDSA P-256 key`);
  const message = signedMessageOf(sha256Hex);
  const value = sign(algorithm === 'ed25519' ? null : 'sha256', message, key);
  return { algorithm, value: value.toString('base64'), keyId: keyIdOf(key) };
}

/** Checks image signatures against the stack's signer keys, and whether unsigned images are allowed. */
export class ImageSignatureVerifier {
  private readonly keys: readonly SignerKey[];
  readonly requireSignedImages: boolean;

  constructor(policy: ImageSigningPolicy) {
    this.requireSignedImages = policy.requireSignedImages;
    this.keys = policy.signers.map((signer) => {
      let key: KeyObject;
      try {
        key = createPublicKey(signer.publicKeyPem);
      } catch (error) {
        throw new ConfigurationError(`signer ${signer.name}: not a PEM public key`, { cause: error });
      }
      const algorithm = algorithmOf(key);
      if (algorithm === undefined) throw new ConfigurationError(`signer ${signer.name}: ${key.asymmetricKeyType ?? 'unknown'} key; only Ed25519 and ECDSA P-256 keys sign images`);
      return { name: signer.name, keyId: keyIdOf(key), algorithm, key };
    });
    if (this.requireSignedImages && this.keys.length === 0) throw new ConfigurationError('requireSignedImages is set but no signer key is configured: no image could ever be accepted');
  }

  /** Refuses an upload that carries no signature where signed images are required (before any byte is sent). */
  admit(signature: DetachedSignature | undefined): void {
    if (signature === undefined && this.requireSignedImages) {
      throw new ImageSignatureRequiredError('this stage requires signed images (requireSignedImages): sign the image, e.g. fota images upload --sign-key key.pem');
    }
  }

  /** The signer of `sha256`, or undefined for an unsigned image where that is allowed; throws ImageSignatureError otherwise. */
  check(sha256Hex: string, signature: DetachedSignature | undefined): ImageSigner | undefined {
    this.admit(signature);
    if (signature === undefined) return undefined;
    const candidates = this.keys.filter(
      (key) => key.algorithm === signature.algorithm && (signature.keyId === undefined || key.keyId === signature.keyId) && (signature.signer === undefined || key.name === signature.signer),
    );
    if (candidates.length === 0) {
      const named = [signature.signer === undefined ? undefined : `of signer ${signature.signer}`, signature.keyId === undefined ? undefined : `with key id ${signature.keyId}`].filter((part) => part !== undefined);
      throw new ImageSignatureError(`no ${signature.algorithm} signer key ${named.join(' ')} is configured for this stack`.replace('key  is', 'key is'));
    }
    const message = signedMessageOf(sha256Hex);
    const value = Buffer.from(signature.value, 'base64');
    for (const candidate of candidates) {
      if (verifies(candidate, message, value)) {
        return { algorithm: candidate.algorithm, keyId: candidate.keyId, signer: candidate.name };
      }
    }
    throw new ImageSignatureError(`the ${signature.algorithm} signature does not verify over SHA-256 ${sha256Hex} with ${candidates.map((c) => `${c.name} (${c.keyId})`).join(', ')}`);
  }
}

function verifies(candidate: SignerKey, message: Uint8Array, value: Buffer): boolean {
  try {
    return verify(candidate.algorithm === 'ed25519' ? null : 'sha256', message, candidate.key, value);
  } catch {
    // A malformed signature (not DER, wrong length) is a signature that does not verify.
    return false;
  }
}
