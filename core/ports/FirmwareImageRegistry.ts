/**
 * The firmware image registry's role: what the edge (serving images) and the functions (the
 * image API, planning) need of it. Implemented by store/ImageRegistry.ts (S3 and DynamoDB).
 */
import type { DetachedSignature, FirmwareImage } from '../images/FirmwareImage.ts';

export interface NewImage {
  readonly version: string;
  readonly models: readonly string[];
  /** The image is for every model; required when `models` is empty. */
  readonly anyModel?: boolean;
  /** A detached signature over the image's SHA-256, checked against the stack's signer keys. */
  readonly signature?: DetachedSignature;
  readonly compatibleFrom?: readonly string[];
  /** The firmware line's versions, oldest first (core/campaign/versions.ts). */
  readonly versionOrder?: readonly string[];
  readonly notes?: string;
}

export interface UploadRequest extends NewImage {
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256 the uploader computed; the stored bytes must match it. */
  readonly sha256?: string;
}

/** Where the uploader sends the bytes: HTTP PUT of the whole image, or of each part in order. */
export type PresignedUpload =
  | { readonly kind: 'single'; readonly method: 'PUT'; readonly url: string; readonly expiresAt: number }
  | { readonly kind: 'multipart'; readonly method: 'PUT'; readonly partSizeBytes: number; readonly parts: readonly { readonly partNumber: number; readonly url: string }[]; readonly expiresAt: number };

/** A part as S3 acknowledged it: the ETag header of its UploadPart response. */
export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
}

/** Firmware images: bytes in S3, metadata (with the server-computed SHA-256) in DynamoDB. */
export interface FirmwareImageRegistry {
  /** Stores a small image sent inline, hashed and verified at once. */
  store(image: NewImage, bytes: Uint8Array): Promise<FirmwareImage>;
  /** Records an UPLOADING image and returns where to PUT its bytes. */
  createUpload(request: UploadRequest): Promise<{ image: FirmwareImage; upload: PresignedUpload }>;
  /**
   * Copies the upload to its served key, hashes it and verifies the image; throws
   * ImageIntegrityError or ImageSignatureError (and marks it REJECTED) on a mismatch.
   */
  completeUpload(imageId: string, parts?: readonly UploadedPart[]): Promise<FirmwareImage>;
  get(imageId: string): Promise<FirmwareImage | undefined>;
  list(): Promise<FirmwareImage[]>;
  /** Removes the bytes and the record. Whether a campaign still needs the image is the caller's check. */
  delete(imageId: string): Promise<void>;
  /** Reads the verified version and checks it against the recorded hash; throws ImageTamperedError (and marks the image TAMPERED) when it differs. */
  readBytes(image: FirmwareImage): Promise<Buffer>;
  /**
   * A short-lived presigned GET URL of the verified version (HTTP pull: the bytes never touch the
   * edge), handed out only while the object still has the verified ETag; throws ImageTamperedError otherwise.
   */
  presignDownload(image: FirmwareImage, expiresInSeconds: number): Promise<string>;
  /** Scheme of the URLs `presignDownload` returns. */
  readonly downloadScheme: 'http' | 'https';
}
