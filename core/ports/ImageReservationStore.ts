/**
 * Which unfinished campaigns hold each image: image delete and campaign create exclude each other.
 * Implemented by store/ImageReservations.ts.
 */
export type MarkDeletingOutcome = { readonly marked: true } | { readonly marked: false; readonly holders: readonly string[] };

export interface ImageReservationStore {
  /** Reserves the image for a campaign, only while it is VERIFIED (not DELETING); false otherwise. Idempotent. */
  reserveForCampaign(imageId: string, campaignId: string, now: number): Promise<boolean>;
  /** Gives back a campaign's reservation (its end, or a create that did not go through). */
  releaseCampaign(imageId: string, campaignId: string): Promise<void>;
  /** Marks the image DELETING only while no campaign holds it, after dropping the reservations of campaigns `isFinished` says are over. */
  markDeleting(imageId: string, isFinished: (campaignId: string) => Promise<boolean>): Promise<MarkDeletingOutcome>;
}
