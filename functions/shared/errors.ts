/**
 * Errors whose `name` is a Step Functions Retry/Catch key: public contract, do not rename.
 */
export class InvalidWorkflowInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidWorkflowInputError';
  }
}

export class CampaignNotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CampaignNotFoundError';
  }
}

export class ImageNotUsableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageNotUsableError';
  }
}

/** A campaign changed under every one of a bounded number of attempts to apply a lifecycle transition. */
export class CampaignContendedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CampaignContendedError';
  }
}

/** The workflow reached its cancellation branch for a campaign no one cancelled: a defect, never silently accepted. */
export class CampaignNotCancellingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CampaignNotCancellingError';
  }
}
