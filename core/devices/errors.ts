/** A Device Management operation that cannot be sent as asked: bad path level, or a value that does not fit its resource. */
export class InvalidOperationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidOperationError';
  }
}
