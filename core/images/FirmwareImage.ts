/**
 * Lifecycle of an image in the registry: created with a presigned upload (UPLOADING), then
 * VERIFIED once the server has hashed the stored object (and it matched what the client declared),
 * or REJECTED when it did not. Only a VERIFIED image can be rolled out.
 */
export const ImageStatus = {
  Uploading: 'UPLOADING',
  Verified: 'VERIFIED',
  Rejected: 'REJECTED',
  /** Being deleted: no campaign may reserve it any more (store/ImageRegistry.ts#markDeleting). */
  Deleting: 'DELETING',
} as const;
export type ImageStatus = (typeof ImageStatus)[keyof typeof ImageStatus];

/** How the bytes of an UPLOADING image reach S3. */
export type ImageUploadPlan =
  | { readonly kind: 'single' }
  | { readonly kind: 'multipart'; readonly uploadId: string; readonly partSizeBytes: number; readonly partCount: number };

/** Metadata of a firmware image in the registry; the bytes live in S3 under `objectKey`. */
export interface FirmwareImage {
  readonly imageId: string;
  readonly version: string;
  readonly models: readonly string[];
  /** Versions the image can be installed over; absent or empty: any version. */
  readonly compatibleFrom?: readonly string[];
  /** For any device model: the planner then skips its model check (else a device's /3/0/1 must be in `models`). */
  readonly anyModel?: boolean;
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
  readonly objectKey: string;
  readonly status: ImageStatus;
  /** True exactly when `status` is VERIFIED (kept as the flag campaigns check). */
  readonly verified: boolean;
  readonly upload?: ImageUploadPlan;
  readonly rejectReason?: string;
  readonly createdAt: number;
  readonly verifiedAt?: number;
  readonly notes?: string;
  /** Campaigns that reserved the image at creation (id to epoch ms), released when each finishes: no delete while any holds it. */
  readonly reservations?: Readonly<Record<string, number>>;
}
