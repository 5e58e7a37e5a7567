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

/** A VERIFIED image whose stored bytes are no longer the verified ones: marked TAMPERED, never served. */
export class ImageTamperedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageTamperedError';
  }
}

/** An image signature that does not verify, names an unknown key, or uses an algorithm the key is not for. */
export class ImageSignatureError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageSignatureError';
  }
}

/** An unsigned image on a stage that requires signed images (`requireSignedImages`). */
export class ImageSignatureRequiredError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageSignatureRequiredError';
  }
}

/** A batched read or write whose items DynamoDB kept handing back unprocessed (throttling). */
export class BatchIncompleteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BatchIncompleteError';
  }
}
