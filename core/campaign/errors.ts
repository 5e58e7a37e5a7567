import type { CampaignStatus } from './Campaign.ts';

/** An operator action or workflow event that the campaign lifecycle does not allow from the status it found. */
export class IllegalCampaignTransitionError extends Error {
  readonly from: CampaignStatus;
  readonly trigger: string;

  constructor(from: CampaignStatus, trigger: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IllegalCampaignTransitionError';
    this.from = from;
    this.trigger = trigger;
  }
}
