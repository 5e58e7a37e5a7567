/**
 * Errors of the DTLS layer (STYLE.md §7). A malformed or forged datagram is never an error here:
 * RFC 6347 §4.1.2.7 says invalid records are silently discarded, so they only count in stats.
 */
import { AlertDescription } from './constants.ts';

export class DtlsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DtlsError';
  }
}

/** A handshake or session ended with a fatal alert, sent by us or by the peer. */
export class DtlsAlertError extends DtlsError {
  constructor(
    readonly description: AlertDescription,
    readonly sentByPeer: boolean,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DtlsAlertError';
  }
}

/** `send` to a peer that has no established session. */
export class DtlsNoSessionError extends DtlsError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DtlsNoSessionError';
  }
}

/** A handshake did not complete in time (client side, or the server giving up on a flight). */
export class DtlsHandshakeTimeoutError extends DtlsError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DtlsHandshakeTimeoutError';
  }
}

/** A handshake message that cannot be decoded; becomes a decode_error alert. */
export class DtlsDecodeError extends DtlsAlertError {
  constructor(message: string, options?: ErrorOptions) {
    super(AlertDescription.DecodeError, false, message, options);
    this.name = 'DtlsDecodeError';
  }
}

/** Name of an alert description for messages and events, e.g. `unknown_psk_identity(115)`. */
export function alertName(description: number): string {
  const entry = Object.entries(AlertDescription).find(([, value]) => value === description);
  const name = entry === undefined ? 'alert' : entry[0].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
  return `${name}(${description})`;
}
