/**
 * The stateless front door (RFC 6347 §4.2.1): what to do with a ClientHello record before any
 * state exists. Without a valid cookie the answer is a HelloVerifyRequest built from the record
 * alone; only a ClientHello that returns our cookie may start a handshake.
 */
import type { RemoteInfo } from 'node:dgram';
import { AlertLevel, ContentType, DTLS_1_0, HandshakeType } from './constants.ts';
import type { CookieIssuer } from './CookieIssuer.ts';
import type { DtlsAlertError } from './errors.ts';
import { encodeHandshake, isWholeMessage, parseHandshakeFragments } from './handshakeFraming.ts';
import type { HandshakeMessage } from './HandshakeReassembler.ts';
import { encodeHelloVerifyRequest, parseClientHello, type ClientHello } from './helloMessages.ts';
import { negotiate, type Negotiated } from './negotiation.ts';
import { encodeRecord, type DtlsRecord } from './record.ts';

export type Admission =
  | { readonly kind: 'malformed' }
  /** No valid cookie: send this HelloVerifyRequest and forget the client. */
  | { readonly kind: 'verifyFirst'; readonly datagram: Buffer }
  /** Cookie good, but nothing to agree on: send this fatal alert. */
  | { readonly kind: 'refused'; readonly datagram: Buffer; readonly error: DtlsAlertError }
  | { readonly kind: 'admitted'; readonly hello: ClientHello; readonly helloMessage: HandshakeMessage; readonly negotiated: Negotiated };

export function admitClientHello(record: DtlsRecord, remote: RemoteInfo, cookies: CookieIssuer, connectionIdEnabled: boolean): Admission {
  let hello: ClientHello;
  let helloMessage: HandshakeMessage;
  try {
    const fragments = parseHandshakeFragments(record.fragment);
    const fragment = fragments[0];
    // A stateless server cannot reassemble, so the ClientHello must come whole (§4.2.1).
    if (fragment === undefined || fragments.length !== 1 || !isWholeMessage(fragment) || fragment.msgType !== HandshakeType.ClientHello) return { kind: 'malformed' };
    hello = parseClientHello(fragment.body);
    // Whole and alone in its record, the fragment as received is the message's encoding.
    helloMessage = { msgType: fragment.msgType, messageSeq: fragment.messageSeq, body: fragment.body, encoded: fragment.encoded };
  } catch {
    return { kind: 'malformed' };
  }
  if (!cookies.verify(remote.address, remote.port, hello)) {
    // §4.2.1: echo the record and message numbers; HelloVerifyRequest says 1.0 for old clients.
    const body = encodeHelloVerifyRequest(DTLS_1_0, cookies.issue(remote.address, remote.port, hello));
    const message = encodeHandshake(HandshakeType.HelloVerifyRequest, helloMessage.messageSeq, body);
    return { kind: 'verifyFirst', datagram: encodeRecord(ContentType.Handshake, DTLS_1_0, 0, record.sequenceNumber, message) };
  }
  const negotiated = negotiate(hello, connectionIdEnabled);
  if (!negotiated.success) {
    const alert = Buffer.from([AlertLevel.Fatal, negotiated.error.description]);
    return { kind: 'refused', datagram: encodeRecord(ContentType.Alert, record.version, 0, record.sequenceNumber, alert), error: negotiated.error };
  }
  return { kind: 'admitted', hello, helloMessage, negotiated: negotiated.data };
}
