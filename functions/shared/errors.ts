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
