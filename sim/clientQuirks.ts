/**
 * Ways real LwM2M clients deviate that the edge must live with (issue 14): a client built
 * without some content formats (4.06 Not Acceptable, LwM2M 1.1 §5.4.1), an old 1.0 client that
 * drops a request whose Accept it does not know, one that acknowledges a request with an empty
 * ACK and never sends the separate response (RFC 7252 §5.2.2). Each request that reaches the
 * simulated device is logged with what it did, so tests count on the device side.
 */
import type coap from 'coap';
import { acceptOf } from './coapMessages.ts';

export interface ClientQuirks {
  /** Formats announced with ct= on the root link; [] announces none. @default by version */
  readonly announcedFormats?: readonly number[];
  /** Formats the device was built without: a request with one of them as Accept gets 4.06. */
  readonly refusedFormats?: readonly number[];
  /** Accept values the device does not know and drops the request for, unanswered and unacknowledged. */
  readonly ignoredAcceptFormats?: readonly number[];
  /** Methods the device acknowledges (empty ACK) and never answers, e.g. ['iPATCH', 'FETCH']. */
  readonly unansweredMethods?: readonly string[];
}

/** One Device Management request as it reached the device (retransmissions share a message id). */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly accept: number | undefined;
  readonly messageId: number | undefined;
  /** What the device did with it: answered (or handed on), refused 4.06, dropped, acknowledged only. */
  readonly fate: 'handled' | 'notAcceptable' | 'dropped' | 'acknowledgedOnly';
}

type ParsedRequest = { readonly code: string; readonly ack: boolean; readonly messageId: number; readonly options: readonly { readonly name: string; readonly value: unknown }[] };
type Middleware = (request: { packet?: ParsedRequest }, next: (error: Error | null) => void) => void;

/**
 * Drops, before node-coap sees it (so not even an ACK goes back), a request whose Accept is one
 * of `ignoredAcceptFormats`: what some old 1.0 clients do with Accept 11542.
 */
export function dropRequestsWithUnknownAccept(server: coap.Server, quirks: ClientQuirks, log: ReceivedRequest[]): void {
  const ignored = quirks.ignoredAcceptFormats;
  const middlewares = (server as unknown as { _middlewares?: Middleware[] })._middlewares;
  if (ignored === undefined || middlewares === undefined) return;
  middlewares.splice(middlewares.length - 1, 0, (request, next) => {
    const packet = request.packet;
    const accept = packet?.options.find((o) => o.name === 'Accept')?.value;
    const format = Buffer.isBuffer(accept) ? accept.reduce((n, b) => n * 256 + b, 0) : undefined;
    if (packet === undefined || format === undefined || !ignored.includes(format) || packet.code === '0.00' || packet.ack) {
      next(null);
      return;
    }
    const path = `/${packet.options.filter((o) => o.name === 'Uri-Path').map((o) => String(o.value)).join('/')}`;
    log.push({ method: packet.code, path, accept: format, messageId: packet.messageId, fate: 'dropped' });
  });
}

/** Logs the request; true when a quirk answered it (4.06) or swallowed it (ACK only). */
export function answeredByQuirk(req: coap.IncomingMessage, res: coap.OutgoingMessage, quirks: ClientQuirks, log: ReceivedRequest[]): boolean {
  const accept = acceptOf(req);
  const received = { method: req.method, path: req.url.split('?')[0] ?? '', accept, messageId: (req as unknown as { _packet?: { messageId?: number } })._packet?.messageId };
  if (quirks.unansweredMethods?.includes(req.method) === true) {
    // node-coap sends the empty ACK after piggybackReplyMs; the answer never follows.
    log.push({ ...received, fate: 'acknowledgedOnly' });
    return true;
  }
  if (accept !== undefined && quirks.refusedFormats?.includes(accept) === true) {
    log.push({ ...received, fate: 'notAcceptable' });
    res.code = '4.06';
    res.end();
    return true;
  }
  log.push({ ...received, fate: 'handled' });
  return false;
}
