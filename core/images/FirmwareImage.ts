/** Metadata of a firmware image in the registry; the bytes live in S3 under `objectKey`. */
export interface FirmwareImage {
  readonly imageId: string;
  readonly version: string;
  readonly models: readonly string[];
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256 of the bytes, computed server-side when the image was stored. */
  readonly sha256: string;
  readonly objectKey: string;
  readonly verified: boolean;
  readonly createdAt: number;
  readonly notes?: string;
}
