/**
 * Requests from devices (Register, Update, De-register, Send, firmware blocks), from parsed packet
 * to reply: duplicates of a CON are answered from a short-lived reply cache (RFC 7252 §4.5), one
 * peer gets a bounded share of the handlers, and a body sent in Block1 pieces is reassembled first
 * (Block1Receiver, RFC 7959 §2.5), so the handler sees whole requests only. Never throws.
 */
import type { RemoteInfo } from 'node:dgram';
import type { ParsedPacket } from 'coap-packet';
import type { Block1Receiver } from './Block1Receiver.ts';
import { CoapOption } from './coapOptions.ts';
import { encodeResponse, toInboundRequest } from './packetCodec.ts';
import { forgetCachedReplies, peerKey } from './peerAddresses.ts';
import type { CoapMethod, CoapTransportOptions, InboundHandler, OutboundResponse, Peer, TransportStats } from './transportTypes.ts';

/** RFC 7252 EXCHANGE_LIFETIME is 247 s; duplicates come within seconds, so a shorter window bounds memory. */
const DEDUPLICATION_WINDOW_MS = 60_000;
const MAX_DEDUPLICATION_ENTRIES = 50_000;
/** Requests of one peer being handled at once; LwM2M clients have one or two outstanding (NSTART = 1). */
const MAX_IN_FLIGHT_PER_PEER = 8;

export interface InboundExchangesOptions {
  readonly securityFor: CoapTransportOptions['securityFor'];
  readonly send: (reply: Buffer, to: Peer) => void;
  readonly onError: (error: Error, context: string) => void;
}

export class InboundExchanges {
  /** (peer, message id) -> the reply sent, or 'pending' while the handler runs. */
  private readonly exchanges = new Map<string, { at: number; reply: Buffer | 'pending' }>();
  private readonly inFlightByPeer = new Map<string, number>();
  private handler: InboundHandler = () => Promise.resolve({ code: '4.04' });

  constructor(
    private readonly stats: TransportStats,
    private readonly block1: Block1Receiver,
    private readonly options: InboundExchangesOptions,
  ) {}

  onRequest(handler: InboundHandler): void {
    this.handler = handler;
  }

  receive(packet: ParsedPacket, method: CoapMethod, remote: RemoteInfo): void {
    if (packet.ack || packet.reset) {
      this.stats.malformedDatagrams++;
      return;
    }
    this.stats.requestsIn++;
    const exchangeKey = `${remote.address}:${remote.port}:${packet.messageId}`;
    const previous = this.exchanges.get(exchangeKey);
    if (previous !== undefined) {
      this.stats.duplicateRequests++;
      if (previous.reply !== 'pending') this.options.send(previous.reply, remote);
      return;
    }
    // Fairness: one peer (a flood, a fuzzer, a broken device) gets a bounded share of the
    // handlers; its excess is dropped unanswered and a real client's retransmission comes back.
    const fromPeer = peerKey(remote);
    const inFlight = this.inFlightByPeer.get(fromPeer) ?? 0;
    if (inFlight >= MAX_IN_FLIGHT_PER_PEER) {
      this.stats.throttledRequests++;
      return;
    }
    this.inFlightByPeer.set(fromPeer, inFlight + 1);
    this.exchanges.set(exchangeKey, { at: Date.now(), reply: 'pending' });
    this.answer(packet, method, remote, exchangeKey)
      .catch((error: unknown) => this.options.onError(error instanceof Error ? error : new Error(String(error)), 'answer'))
      .finally(() => {
        const left = (this.inFlightByPeer.get(fromPeer) ?? 1) - 1;
        if (left <= 0) this.inFlightByPeer.delete(fromPeer);
        else this.inFlightByPeer.set(fromPeer, left);
      });
  }

  /** Drops the cached replies and Block1 transfers of an address that now belongs to another endpoint. */
  forgetPeer(peer: Peer): void {
    forgetCachedReplies(this.exchanges, peer);
    this.block1.forgetPeer(peer);
  }

  /** Drops cached replies older than the deduplication window, and stale Block1 transfers. */
  sweep(): void {
    this.block1.expire();
    const cutoff = Date.now() - DEDUPLICATION_WINDOW_MS;
    for (const [key, entry] of this.exchanges) {
      if (entry.at < cutoff) this.exchanges.delete(key);
    }
  }

  private async answer(packet: ParsedPacket, method: CoapMethod, remote: RemoteInfo, exchangeKey: string): Promise<void> {
    let response: OutboundResponse | undefined;
    try {
      const inbound = toInboundRequest(packet, method, remote);
      const security = this.options.securityFor?.(inbound.peer);
      const received = this.block1.receive(security === undefined ? inbound : { ...inbound, security });
      if (received.kind === 'reply') response = received.response;
      else {
        response = await this.handler(received.request);
        // The final response to a block-wise body carries Block1 of the last block (RFC 7959 §2.3).
        if (response !== undefined && received.ack !== undefined) response = { ...response, options: [...(response.options ?? []), [CoapOption.Block1, received.ack]] };
      }
    } catch (error) {
      this.stats.handlerErrors++;
      this.options.onError(error instanceof Error ? error : new Error(String(error)), 'handler');
      response = { code: '5.00' };
    }
    if (response === undefined) {
      this.exchanges.delete(exchangeKey);
      return;
    }
    const reply = encodeResponse(packet, response);
    if (reply === undefined) {
      this.stats.handlerErrors++;
      this.exchanges.delete(exchangeKey);
      return;
    }
    // A GET is safe to answer again (RFC 7252 §4.5): its reply, usually a ~1 KB firmware block,
    // is not kept; only replies of non-idempotent requests (Register, Update, Send) are.
    if (method !== 'GET' && this.exchanges.size < MAX_DEDUPLICATION_ENTRIES) {
      this.exchanges.set(exchangeKey, { at: Date.now(), reply });
    } else {
      this.exchanges.delete(exchangeKey);
    }
    this.options.send(reply, remote);
  }
}
