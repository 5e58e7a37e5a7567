/**
 * CoAP response codes (RFC 7252 §5.9 and §12.1.2, RFC 7959 §2.9, RFC 8132 §3.1 and §5.9,
 * RFC 8516): every code registered with IANA, by name, so a typo (`'4.4'`, `NotFuond`) fails to
 * compile. Codes are "c.dd" text, as node-coap gives and takes them.
 */
export const ResponseCode = {
  Created: '2.01',
  Deleted: '2.02',
  Valid: '2.03',
  Changed: '2.04',
  Content: '2.05',
  /** RFC 7959 §2.9.1: a Block1 block was received, send the next. */
  Continue: '2.31',
  BadRequest: '4.00',
  Unauthorized: '4.01',
  BadOption: '4.02',
  Forbidden: '4.03',
  NotFound: '4.04',
  MethodNotAllowed: '4.05',
  NotAcceptable: '4.06',
  /** RFC 7959 §2.9.2: a Block1 block is missing. */
  RequestEntityIncomplete: '4.08',
  Conflict: '4.09',
  PreconditionFailed: '4.12',
  RequestEntityTooLarge: '4.13',
  UnsupportedContentFormat: '4.15',
  UnprocessableEntity: '4.22',
  TooManyRequests: '4.29',
  InternalServerError: '5.00',
  NotImplemented: '5.01',
  BadGateway: '5.02',
  ServiceUnavailable: '5.03',
  GatewayTimeout: '5.04',
  ProxyingNotSupported: '5.05',
} as const;
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/** Class 2 (Success), RFC 7252 §5.9.1, registered or not. */
export function isSuccessCode(code: string): boolean {
  return code.startsWith('2.');
}
