/**
 * Campaign create and image delete exclude each other with single-item conditional writes on the
 * image's record (dynalite has no transactions): a create reserves the image only while it is
 * VERIFIED (`reservations`, campaign id to epoch ms), a delete marks it DELETING only while no
 * reservation is left, and a campaign releases its own when it finishes. The campaign record is
 * written before its reservation, so a reservation whose campaign does not exist is a leftover.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ImageStatus, type FirmwareImage } from '../core/images/FirmwareImage.ts';
import { whenConditionHolds } from './conditionalWrite.ts';
import { NotFoundError } from './errors.ts';
import type { ImageReservationStore, MarkDeletingOutcome } from '../core/ports/ImageReservationStore.ts';

export class DynamoDbImageReservationStore implements ImageReservationStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserveForCampaign(imageId: string, campaignId: string, now: number): Promise<boolean> {
    // A map's member can only be set once the map exists: make sure of it first (harmless twice).
    const exists = await whenConditionHolds(
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: 'SET #r = if_not_exists(#r, :empty)',
          ConditionExpression: 'attribute_exists(imageId)',
          ExpressionAttributeNames: { '#r': 'reservations' },
          ExpressionAttributeValues: { ':empty': {} },
        }),
      ),
    );
    if (!exists) return false;
    return whenConditionHolds(
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: 'SET #r.#c = :now',
          ConditionExpression: '#status = :verified',
          ExpressionAttributeNames: { '#r': 'reservations', '#c': campaignId, '#status': 'status' },
          ExpressionAttributeValues: { ':now': now, ':verified': ImageStatus.Verified },
        }),
      ),
    );
  }

  async releaseCampaign(imageId: string, campaignId: string): Promise<void> {
    await whenConditionHolds(
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: 'REMOVE #r.#c',
          ConditionExpression: 'attribute_exists(#r)',
          ExpressionAttributeNames: { '#r': 'reservations', '#c': campaignId },
        }),
      ),
    );
  }

  async markDeleting(imageId: string, isFinished: (campaignId: string) => Promise<boolean>): Promise<MarkDeletingOutcome> {
    const image = await this.get(imageId);
    if (image === undefined) throw new NotFoundError(`image ${imageId} does not exist`);
    for (const campaignId of Object.keys(image.reservations ?? {})) {
      if (await isFinished(campaignId)) await this.releaseCampaign(imageId, campaignId);
    }
    const marked = await whenConditionHolds(
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { imageId },
          UpdateExpression: 'SET #status = :deleting, verified = :false',
          ConditionExpression: 'attribute_exists(imageId) AND (attribute_not_exists(#r) OR size(#r) = :zero)',
          ExpressionAttributeNames: { '#r': 'reservations', '#status': 'status' },
          ExpressionAttributeValues: { ':deleting': ImageStatus.Deleting, ':false': false, ':zero': 0 },
        }),
      ),
    );
    if (marked) return { marked: true };
    const current = await this.get(imageId);
    if (current === undefined) throw new NotFoundError(`image ${imageId} does not exist`);
    return { marked: false, holders: Object.keys(current.reservations ?? {}) };
  }

  private async get(imageId: string): Promise<FirmwareImage | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { imageId }, ConsistentRead: true }));
    return result.Item as FirmwareImage | undefined;
  }
}
