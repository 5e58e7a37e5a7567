/** Errors of the LwM2M protocol model. Names are public contract (logs, Step Functions keys). */

export interface LwM2mErrorOptions {
  readonly cause?: unknown;
}

/** A text is not a valid LwM2M path (`/object/instance/resource/resource-instance`). */
export class InvalidPathError extends Error {
  constructor(message: string, options?: LwM2mErrorOptions) {
    super(message, options);
    this.name = 'InvalidPathError';
  }
}

/** A payload cannot be decoded from, or values cannot be encoded to, a content format. */
export class CodecError extends Error {
  /** The CoAP Content-Format number the codec was working with. */
  readonly format: number;

  constructor(format: number, message: string, options?: LwM2mErrorOptions) {
    super(message, options);
    this.name = 'CodecError';
    this.format = format;
  }
}

/** A CoRE Link Format (RFC 6690) payload is malformed. */
export class LinkFormatError extends Error {
  constructor(message: string, options?: LwM2mErrorOptions) {
    super(message, options);
    this.name = 'LinkFormatError';
  }
}

/** Execute arguments break the grammar of LwM2M TS 1.1 §5.4.5. */
export class ExecuteArgumentsError extends Error {
  constructor(message: string, options?: LwM2mErrorOptions) {
    super(message, options);
    this.name = 'ExecuteArgumentsError';
  }
}

/** An object definition (DDF) file is not well-formed XML or not a valid LwM2M object model. */
export class ObjectDefinitionError extends Error {
  constructor(message: string, options?: LwM2mErrorOptions) {
    super(message, options);
    this.name = 'ObjectDefinitionError';
  }
}
