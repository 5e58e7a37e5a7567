/**
 * Where campaigns are kept, and the conditional write every lifecycle change goes through.
 * Implemented by store/DynamoDbCampaignStore.ts.
 */
import type { Campaign } from '../campaign/Campaign.ts';
import type { CampaignChange } from '../campaign/lifecycle.ts';

/** Campaign attributes written outside the lifecycle: never the status, its version or the audit trail. */
export type CampaignProgressFacts = Partial<Pick<Campaign, 'currentCohort' | 'phase' | 'abortReason' | 'releaseBucket' | 'phaseWaiter' | 'installRequestedAt'>>;

export interface CampaignStore {
  create(campaign: Campaign): Promise<void>;
  get(campaignId: string): Promise<Campaign | undefined>;
  list(): Promise<Campaign[]>;
  /**
   * Writes a lifecycle change (core/campaign/lifecycle.ts): the new status and version, its facts
   * and its audit entry, in one UpdateItem conditioned on the (status, version) the change was
   * computed from. False when another writer got there first: re-read and decide again.
   */
  transition(campaignId: string, change: CampaignChange): Promise<boolean>;
  update(campaignId: string, changes: CampaignProgressFacts): Promise<void>;
  /** Removes a campaign whose create did not go through (its image could not be reserved), only while CREATED. */
  discardUnstarted(campaignId: string): Promise<boolean>;
}
