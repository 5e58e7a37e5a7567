/**
 * Lifecycle of an image in the registry: created with a presigned upload (UPLOADING), then
 * VERIFIED once the server has hashed the stored object (and it matched what the client declared,
 * and its signature checked out), or REJECTED when it did not. A VERIFIED image whose stored bytes
 * are later found to differ from the verified ones becomes TAMPERED, for good: it is never served
 * again. Only a VERIFIED image can be rolled out.
 */
export const ImageStatus = {
  Uploading: 'UPLOADING',
  Verified: 'VERIFIED',
  Rejected: 'REJECTED',
  Tampered: 'TAMPERED',
  /** Being deleted: no campaign may reserve it any more (store/ImageRegistry.ts#markDeleting). */
  Deleting: 'DELETING',
} as const;
export type ImageStatus = (typeof ImageStatus)[keyof typeof ImageStatus];

/** How the bytes of an UPLOADING image reach S3. */
export type ImageUploadPlan =
  | { readonly kind: 'single' }
  | { readonly kind: 'multipart'; readonly uploadId: string; readonly partSizeBytes: number; readonly partCount: number };

/** The signature algorithms the registry checks (detached, over the image's SHA-256). */
export const SIGNATURE_ALGORITHMS = ['ed25519', 'ecdsa-p256-sha256'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** Who signed a verified image, as the registry checked it. */
export interface ImageSigner {
  readonly algorithm: SignatureAlgorithm;
  /** Id of the signer's public key: the first 16 hex digits of the SHA-256 of its SPKI DER. */
  readonly keyId: string;
  /** The name the stack's configuration gives that key. */
  readonly signer: string;
}

/** A detached signature as the uploader sends it. */
export interface DetachedSignature {
  readonly algorithm: SignatureAlgorithm;
  /** Base64 of the signature (Ed25519: 64 bytes; ECDSA: DER). */
  readonly value: string;
  /** The key that made it, when the uploader says so; otherwise every configured key of the algorithm is tried. */
  readonly keyId?: string;
  /** The configured signer name the uploader says made it: a key of another name is refused. */
  readonly signer?: string;
}

/**
 * The message a signer signs: the 32 bytes of the image's SHA-256 (not its hex). Ed25519 signs
 * them as they are; ECDSA P-256 signs them with SHA-256, as `openssl dgst -sha256 -sign` does.
 */
export function signedMessageOf(sha256Hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new RangeError(`sha256: not a lower-case hex SHA-256: ${sha256Hex}`);
  return Uint8Array.from(sha256Hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}

/**
 * Which devices an image is for: the models it names, or every model when it says `anyModel`.
 * Returns the problem with the pair, or undefined when it is sound.
 */
export function modelScopeProblem(models: readonly string[], anyModel: boolean | undefined): string | undefined {
  if (anyModel === true && models.length > 0) return 'anyModel: true and a models list contradict each other; give one of them';
  if (anyModel !== true && models.length === 0) return 'models: name at least one device model (/3/0/1), or say anyModel: true for an image every model accepts';
  return undefined;
}

/** Metadata of a firmware image in the registry; the bytes live in S3 under `objectKey`. */
export interface FirmwareImage {
  readonly imageId: string;
  readonly version: string;
  /** Device models (/3/0/1) the image is for; empty only when `anyModel` is true. */
  readonly models: readonly string[];
  /** The image installs on any model: said explicitly, never inferred from an empty list. */
  readonly anyModel?: boolean;
  /** Versions the image can be installed over; absent or empty: any version. */
  readonly compatibleFrom?: readonly string[];
  /**
   * The versions of this firmware line, oldest first, when their names are not semantic versions
   * (core/campaign/versions.ts): decides the order of a device's version against `version`.
   */
  readonly versionOrder?: readonly string[];
  /** Size in bytes: as declared while uploading, as stored once verified. */
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256 of the stored bytes, computed server-side; empty until verified. */
  readonly sha256: string;
  /** The SHA-256 the uploader declared, checked against the stored bytes. */
  readonly declaredSha256?: string;
  /** Where the verified bytes are: a key no upload URL was ever issued for. */
  readonly objectKey: string;
  /** S3 version of the verified object, where the bucket gives one: every read is pinned to it. */
  readonly objectVersionId?: string;
  /** ETag S3 gave the verified object: a presigned GET is only handed out while the object still has it. */
  readonly objectETag?: string;
  /** Where the presigned upload URL writes (absent: the upload went to `objectKey`, as before). */
  readonly uploadKey?: string;
  /** The detached signature the uploader sent, checked at complete against the stored bytes. */
  readonly signature?: DetachedSignature;
  /** Who signed the image, when it was signed (checked at upload). */
  readonly signedBy?: ImageSigner;
  readonly status: ImageStatus;
  /** True exactly when `status` is VERIFIED (kept as the flag campaigns check). */
  readonly verified: boolean;
  readonly upload?: ImageUploadPlan;
  readonly rejectReason?: string;
  readonly createdAt: number;
  readonly verifiedAt?: number;
  /** When and why the stored bytes were found to differ from the verified ones. */
  readonly tamperedAt?: number;
  readonly tamperReason?: string;
  readonly notes?: string;
  /** Campaigns that reserved the image at creation (id to epoch ms), released when each finishes: no delete while any holds it. */
  readonly reservations?: Readonly<Record<string, number>>;
}
