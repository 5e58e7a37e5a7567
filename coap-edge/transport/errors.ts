/** The device did not answer within the request timeout (lost, asleep, or gone). */
export class DeviceTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceTimeoutError';
  }
}

/**
 * The device registered again from another address (a reboot, a NAT rebinding, an NLB flow
 * moved to another task): nothing sent to the old address will be answered, so waiting for the
 * rest of the exchange lifetime is pointless. A timeout in every other respect.
 */
export class PeerMovedError extends DeviceTimeoutError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PeerMovedError';
  }
}

/**
 * The device acknowledged the request with an empty ACK, so its answer was to come as a separate
 * response (RFC 7252 §5.2.2), and none came within the bounded wait. The device has the request:
 * a non-idempotent one must not be sent again.
 */
export class DeviceNoResponseError extends DeviceTimeoutError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceNoResponseError';
  }
}

/** The device answered with an error code (4.xx, 5.xx) or with a Reset. */
export class DeviceRequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceRequestError';
    this.code = code;
  }
}

/** The transport could not send: socket closed, or the CoAP library refused the request. */
export class TransportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransportError';
  }
}

/** Turns what node-coap emits (plain Errors, strings, RetrySendError) into our typed errors. */
export function toTransportError(error: unknown, what: string): Error {
  if (error instanceof Error && error.name === 'RetrySendError') {
    return new DeviceTimeoutError(`${what}: no answer after retransmissions`, { cause: error });
  }
  if (error instanceof Error) return new TransportError(`${what}: ${error.message}`, { cause: error });
  return new TransportError(`${what}: ${String(error)}`);
}
