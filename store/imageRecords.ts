/**
 * How the image registry shapes its records: the two object keys of an image (the upload key
 * presigned URLs write to, the key devices are served from), the pin of a verified object, and
 * the metadata an uploader gives, the write that gives an upload its verdict, and the one write
 * that takes an image out of service (TAMPERED).
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ImageStatus, modelScopeProblem, type FirmwareImage } from '../core/images/FirmwareImage.ts';
import { isConditionalCheckFailure } from './conditionalWrite.ts';
import type { StoredObject } from './imageObjects.ts';
import type { NewImage } from '../core/ports/FirmwareImageRegistry.ts';
import { NotFoundError } from './errors.ts';

/** The key devices are served from: no upload URL is ever issued for it. */
export function objectKeyFor(imageId: string): string {
  return `images/${imageId}.bin`;
}

/** The key presigned upload URLs write to; only `completeUpload` reads it, once. */
export function uploadKeyFor(imageId: string): string {
  return `uploads/${imageId}.bin`;
}

/** The record's pin of the verified object: size, hash, S3 version (when the bucket has versions) and ETag. */
export function pinOf(stored: StoredObject): Pick<FirmwareImage, 'sizeBytes' | 'sha256' | 'objectVersionId' | 'objectETag'> {
  return {
    sizeBytes: stored.sizeBytes,
    sha256: stored.sha256,
    ...(stored.versionId === undefined ? {} : { objectVersionId: stored.versionId }),
    ...(stored.etag === undefined ? {} : { objectETag: stored.etag }),
  };
}

export function pinnableVersion(versionId: string | undefined): string | undefined {
  return versionId === undefined || versionId === 'null' ? undefined : versionId;
}

export function checkModelScope(image: NewImage): void {
  const problem = modelScopeProblem(image.models, image.anyModel);
  if (problem !== undefined) throw new RangeError(problem);
}

export function metadataOf(imageId: string, image: NewImage): Pick<FirmwareImage, 'imageId' | 'version' | 'models' | 'anyModel' | 'compatibleFrom' | 'versionOrder' | 'notes'> {
  return {
    imageId,
    version: image.version,
    models: [...image.models],
    ...(image.anyModel === true ? { anyModel: true } : {}),
    ...(image.compatibleFrom === undefined || image.compatibleFrom.length === 0 ? {} : { compatibleFrom: [...image.compatibleFrom] }),
    ...(image.versionOrder === undefined ? {} : { versionOrder: [...image.versionOrder] }),
    ...(image.notes === undefined ? {} : { notes: image.notes }),
  };
}

/** VERIFIED -> TAMPERED, a conditional write: only from VERIFIED, so a TAMPERED image never becomes servable again. */
export async function markTampered(dynamo: DynamoDBDocumentClient, tableName: string, imageId: string, reason: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { imageId },
        UpdateExpression: 'SET #status = :tampered, verified = :false, tamperedAt = :now, tamperReason = :reason',
        ConditionExpression: '#status = :verified',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':tampered': ImageStatus.Tampered, ':verified': ImageStatus.Verified, ':false': false, ':now': Date.now(), ':reason': reason },
      }),
    );
  } catch (error) {
    // Already marked by another reader, or deleted: either way it is not served.
    if (!isConditionalCheckFailure(error)) throw error;
  }
}

/** Moves an UPLOADING image to its verdict; a concurrent completion that won is returned as is. */
export async function settleUpload(dynamo: DynamoDBDocumentClient, tableName: string, image: FirmwareImage, changes: Partial<FirmwareImage>): Promise<FirmwareImage> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':uploading': ImageStatus.Uploading };
  const sets = Object.entries(changes).map(([key, value], i) => {
    names[`#a${i}`] = key;
    values[`:a${i}`] = value;
    return `#a${i} = :a${i}`;
  });
  try {
    const result = await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { imageId: image.imageId },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#status = :uploading',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes as FirmwareImage;
  } catch (error) {
    if (!isConditionalCheckFailure(error)) throw error;
    const current = await dynamo.send(new GetCommand({ TableName: tableName, Key: { imageId: image.imageId }, ConsistentRead: true }));
    if (current.Item === undefined) throw new NotFoundError(`image ${image.imageId} was deleted while it was being verified`, { cause: error });
    return current.Item as FirmwareImage;
  }
}
