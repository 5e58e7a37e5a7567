/** A conditional write lost: the item is no longer in the state the caller expected. */
export class StaleItemError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StaleItemError';
  }
}

export class NotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** An image whose stored bytes do not match the SHA-256 recorded for it. */
export class ImageIntegrityError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageIntegrityError';
  }
}

/** An image upload asked for something its current state does not allow (e.g. completing a rejected upload). */
export class ImageUploadStateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageUploadStateError';
  }
}
