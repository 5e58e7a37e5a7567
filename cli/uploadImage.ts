/**
 * `fota images upload`: the presigned flow. The CLI hashes the file, asks the API for upload
 * URL(s) (declaring size and SHA-256), PUTs the bytes straight to S3 (one PUT, or one per part of
 * a multipart upload), then asks the API to complete: the server hashes what S3 stored and
 * verifies the image only if it matches. The bytes never pass through the API (API Gateway takes
 * bodies up to 10 MB; firmware images can be larger).
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { DetachedSignature, FirmwareImage } from '../core/images/FirmwareImage.ts';
import type { PresignedUpload, UploadedPart } from '../core/ports/FirmwareImageRegistry.ts';
import { signImageHash } from '../store/imageSigning.ts';
import { type ApiClient, ApiClientError } from './ApiClient.ts';

export interface ImageFileMetadata {
  readonly version: string;
  readonly models: readonly string[];
  /** The image is for every model (required when `models` is empty). */
  readonly anyModel?: boolean;
  readonly compatibleFrom?: readonly string[];
  readonly notes?: string;
  /** Sign the file's SHA-256 with this PEM private key; `signer` names the configured signer it belongs to. */
  readonly sign?: { readonly keyFile: string; readonly signer?: string };
}

/** ", signed by NAME (key id, algorithm)" for an image that carries a checked signature. */
export function signedByText(image: FirmwareImage): string {
  return image.signedBy === undefined ? '' : `, signed by ${image.signedBy.signer} (${image.signedBy.keyId}, ${image.signedBy.algorithm})`;
}

async function signatureFor(sha256: string, sign: NonNullable<ImageFileMetadata['sign']>): Promise<DetachedSignature> {
  const signature = signImageHash(sha256, await readFile(sign.keyFile, 'utf8'));
  return sign.signer === undefined ? signature : { ...signature, signer: sign.signer };
}

/** Parts uploaded at once in a multipart upload. */
const PART_CONCURRENCY = 4;

export async function uploadImageFile(api: ApiClient, file: string, metadata: ImageFileMetadata, onProgress?: (sentBytes: number, totalBytes: number) => void): Promise<FirmwareImage> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const sha256 = await hashFile(handle, size);
    const { sign, ...fields } = metadata;
    const signature = sign === undefined ? undefined : await signatureFor(sha256, sign);
    const created = await api.post<{ image: FirmwareImage; upload: PresignedUpload }>('/images', { ...fields, sizeBytes: size, sha256, ...(signature === undefined ? {} : { signature }) });
    const { image, upload } = created;
    let sent = 0;
    const report = (bytes: number): void => {
      sent += bytes;
      onProgress?.(sent, size);
    };
    if (upload.kind === 'single') {
      await put(upload.url, await readRange(handle, 0, size));
      report(size);
      return await api.post<FirmwareImage>(`/images/${encodeURIComponent(image.imageId)}/complete`, {});
    }
    const parts: UploadedPart[] = [];
    const queue = [...upload.parts];
    await Promise.all(
      Array.from({ length: Math.min(PART_CONCURRENCY, queue.length) }, async () => {
        for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
          const start = (part.partNumber - 1) * upload.partSizeBytes;
          const bytes = await readRange(handle, start, Math.min(upload.partSizeBytes, size - start));
          parts.push({ partNumber: part.partNumber, etag: await put(part.url, bytes) });
          report(bytes.length);
        }
      }),
    );
    return await api.post<FirmwareImage>(`/images/${encodeURIComponent(image.imageId)}/complete`, { parts: parts.sort((a, b) => a.partNumber - b.partNumber) });
  } finally {
    await handle.close();
  }
}

async function hashFile(handle: Awaited<ReturnType<typeof open>>, size: number): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(Math.min(Math.max(size, 1), 8 * 1024 * 1024));
  for (let position = 0; position < size; ) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}

async function readRange(handle: Awaited<ReturnType<typeof open>>, start: number, length: number): Promise<Buffer> {
  const bytes = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(bytes, read, length - read, start + read);
    if (bytesRead === 0) throw new ApiClientError(0, 'FILE_CHANGED', 'the file got shorter while it was being uploaded');
    read += bytesRead;
  }
  return bytes;
}

/** PUTs bytes to a presigned S3 URL; returns the ETag S3 answered (needed to complete a multipart upload). */
async function put(url: string, bytes: Buffer): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'PUT', body: bytes });
  } catch (error) {
    throw new ApiClientError(0, 'UPLOAD_UNREACHABLE', `cannot reach ${new URL(url).origin}: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
  if (!response.ok) {
    const text = await response.text();
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP_${response.status}`;
    throw new ApiClientError(response.status, 'UPLOAD_FAILED', `S3 refused the upload: ${code}`);
  }
  await response.arrayBuffer();
  return response.headers.get('etag') ?? '';
}
