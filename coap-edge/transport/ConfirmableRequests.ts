/**
 * The edge's requests to devices on the wire, without node-coap: its Agent built a stream per
 * request and per response, parsed each request again at every send and each answer again after
 * the transport had (about an eighth of the edge's CPU in a burst of Registers, each followed by
 * the Read of /3/0). Here a request is encoded once (requestOptions.ts, replyEncoding.ts) and
 * retransmitted as RFC 7252 §4.2 says, with node-coap's timing parameters (`coap.updateTiming`
 * tunes both); its answer is taken from the packet the transport already parsed: an empty ACK or
 * an RST by peer and message id, a response by its token (RFC 7252 §5.3.2); a separate response
 * (CON) is acknowledged; a block-wise answer (RFC 7959 §2.4) is asked for block by block and
 * joined. Observations stay with node-coap (Observations.ts), on the same message-id sequence.
 */
import type { RemoteInfo } from 'node:dgram';
import coap from 'coap';
import type { ParsedPacket } from 'coap-packet';
import { blockSize, decodeBlockOption, encodeBlockOption } from '../../core/lwm2m/blockwise.ts';
import { CoapOption } from './coapOptions.ts';
import { DeviceTimeoutError, TransportError } from './errors.ts';
import { packetOption, toAnswer } from './packetCodec.ts';
import { peerKey } from './peerAddresses.ts';
import { encodeCoapReply, encodeCoapRequest } from './replyEncoding.ts';
import { requestCode, requestOptions, withBlock2, type RequestOption } from './requestOptions.ts';
import type { DeviceRequest, DeviceResponse, Peer } from './transportTypes.ts';

/** The most a block-wise answer may hold in all: a device cannot make the edge buffer without end. */
export const MAX_BLOCKWISE_ANSWER_BYTES = 1024 * 1024;

/** What becomes of one request; exactly one of `answered` and `failed` is called, once. */
export interface ConfirmableRequestEvents {
  /** An empty ACK: the device has the request and answers later (RFC 7252 §5.2.2). */
  readonly acknowledged: () => void;
  readonly answered: (response: DeviceResponse) => void;
  readonly failed: (error: Error) => void;
}

/** One request in flight. */
export interface ConfirmableRequest {
  /** Stops its retransmissions and forgets it: an answer that comes later is not its. */
  stop(): void;
}

/**
 * Sends a datagram; false when the socket is closed. `unsent` hears a send that never left (a
 * CoAPS peer with no DTLS session), so the request fails at once instead of retransmitting.
 */
export type DatagramSender = (datagram: Buffer, peer: Peer, unsent: (error: Error | null) => void) => boolean;

interface Pending extends ConfirmableRequest {
  readonly peer: Peer;
  readonly what: string;
  readonly code: string;
  readonly token: Buffer;
  readonly tokenKey: string;
  readonly options: readonly RequestOption[];
  readonly payload: Uint8Array | undefined;
  readonly events: ConfirmableRequestEvents;
  datagram: Buffer;
  messageId: number;
  ackKey: string;
  waitMs: number;
  retransmissions: number;
  timer: NodeJS.Timeout | undefined;
  /** The blocks of a block-wise answer so far, and their bytes. */
  blocks: Buffer[];
  blockBytes: number;
  stopped: boolean;
  /** The sender's report of a send that never left: the request fails with its error. */
  readonly unsent: (error: Error | null) => void;
}

const NO_PAYLOAD = Buffer.alloc(0);
/** An empty ACK that does not leave is as a lost one: the device sends its response again. */
const ACK_UNSENT = (): void => undefined;
const MESSAGE_IDS = 0x10000;

export class ConfirmableRequests {
  /** Requests by token (hex), for their responses. */
  private readonly byToken = new Map<string, Pending>();
  /** Requests awaiting their ACK by (peer, message id), for an empty ACK or an RST. */
  private readonly byAckKey = new Map<string, Pending>();
  private lastMessageId = Math.floor(Math.random() * MESSAGE_IDS);

  constructor(private readonly send: DatagramSender) {}

  /** The next message id of this endpoint (RFC 7252 §4.4), for node-coap's requests too. */
  nextMessageId(): number {
    this.lastMessageId = (this.lastMessageId + 1) % MESSAGE_IDS;
    return this.lastMessageId;
  }

  /** Sends a CON request; undefined (and `failed` called) when it cannot be sent. */
  start(peer: Peer, request: DeviceRequest, token: Buffer, what: string, events: ConfirmableRequestEvents): ConfirmableRequest | undefined {
    const tokenKey = token.toString('hex');
    const code = requestCode(request.method);
    const options = requestOptions(request);
    if (this.byToken.has(tokenKey)) return this.refuse(events, new TransportError(`${what}: its token is in use by another request`));
    const pending: Pending = {
      peer,
      what,
      code,
      token,
      tokenKey,
      options,
      payload: request.payload,
      events,
      datagram: NO_PAYLOAD,
      messageId: -1,
      ackKey: '',
      waitMs: 0,
      retransmissions: 0,
      timer: undefined,
      blocks: [],
      blockBytes: 0,
      stopped: false,
      stop: () => this.forget(pending),
      unsent: (error) => {
        if (error !== null) this.fail(pending, error);
      },
    };
    this.byToken.set(tokenKey, pending);
    return this.transmit(pending, options) ? pending : undefined;
  }

  /** Takes a datagram that answers one of these requests; false when it is none of theirs. */
  receive(packet: ParsedPacket, remote: RemoteInfo): boolean {
    if (packet.code === '0.00') return this.receiveEmpty(packet, remote);
    if (packet.token.length === 0 || this.byToken.size === 0) return false;
    const pending = this.byToken.get(packet.token.toString('hex'));
    if (pending === undefined) return false;
    // A piggybacked answer is matched by message id too (RFC 7252 §5.3.2): a late ACK of an earlier
    // request with this token (the previous block of a block-wise Write) is not this one's answer.
    if (packet.ack && packet.messageId !== pending.messageId) return true;
    // A separate response is confirmable: acknowledged whatever it holds (RFC 7252 §5.2.2).
    if (packet.confirmable) this.send(emptyAck(packet.messageId), { address: remote.address, port: remote.port }, ACK_UNSENT);
    this.answer(pending, packet);
    return true;
  }

  private receiveEmpty(packet: ParsedPacket, remote: RemoteInfo): boolean {
    if ((!packet.ack && !packet.reset) || this.byAckKey.size === 0) return false;
    const pending = this.byAckKey.get(`${peerKey(remote)}:${packet.messageId}`);
    if (pending === undefined) return false;
    this.stopRetransmitting(pending);
    // node-coap answered an RST as a response of code 0.00: the callers read it as a refusal.
    if (packet.reset) this.settle(pending, { code: '0.00', payload: NO_PAYLOAD });
    else pending.events.acknowledged();
    return true;
  }

  private answer(pending: Pending, packet: ParsedPacket): void {
    const block2 = packetOption(packet, CoapOption.Block2);
    if (block2 === undefined) {
      if (pending.blocks.length === 0) return this.settle(pending, toAnswer(packet));
      // The last block of a block-wise answer carries Block2 too; one without it ends nothing.
      return this.fail(pending, new TransportError(`${pending.what}: a block-wise answer went on without its Block2 option`));
    }
    const block = decodeBlockOption(block2);
    if (block === undefined) return this.fail(pending, new TransportError(`${pending.what}: the answer's Block2 option is malformed`));
    const size = blockSize(block.szx);
    // A block other than the next (a late duplicate of one already taken) is not used; the
    // request for the next one stays on its retransmission schedule.
    if (block.num * size !== pending.blockBytes) return;
    const payload = packet.payload;
    if (pending.blockBytes + payload.length > MAX_BLOCKWISE_ANSWER_BYTES) return this.fail(pending, new TransportError(`${pending.what}: the block-wise answer is over ${MAX_BLOCKWISE_ANSWER_BYTES} bytes`));
    if (block.more && payload.length !== size) return this.fail(pending, new TransportError(`${pending.what}: block ${block.num} of the answer holds ${payload.length} bytes, not ${size}`));
    pending.blocks.push(payload);
    pending.blockBytes += payload.length;
    if (!block.more) return this.settle(pending, { ...toAnswer(packet), payload: Buffer.concat(pending.blocks, pending.blockBytes) });
    // The next block, asked for with the same token (RFC 7959 §2.4) and a new message id.
    this.transmit(pending, withBlock2(pending.options, encodeBlockOption({ num: block.num + 1, more: false, szx: block.szx })));
  }

  /** Encodes and sends the request with these options under a new message id, and arms its retransmissions. */
  private transmit(pending: Pending, options: readonly RequestOption[]): boolean {
    const messageId = this.nextMessageId();
    const datagram = encodeCoapRequest({ code: pending.code, messageId, token: pending.token, options, ...(pending.payload === undefined ? {} : { payload: pending.payload }) });
    if (datagram === undefined) {
      this.fail(pending, new TransportError(`${pending.what}: the request cannot be encoded (token, options or size)`));
      return false;
    }
    pending.datagram = datagram;
    pending.messageId = messageId;
    this.stopRetransmitting(pending);
    pending.ackKey = `${peerKey(pending.peer)}:${messageId}`;
    this.byAckKey.set(pending.ackKey, pending);
    pending.retransmissions = 0;
    pending.waitMs = coap.parameters.ackTimeout * (1 + (coap.parameters.ackRandomFactor - 1) * Math.random()) * 1000;
    if (!this.send(datagram, pending.peer, pending.unsent)) {
      this.fail(pending, new TransportError(`${pending.what}: socket closed`));
      return false;
    }
    pending.timer = setTimeout(() => this.retransmit(pending), pending.waitMs);
    return true;
  }

  /** RFC 7252 §4.2: again after the wait, the wait doubled each time, MAX_RETRANSMIT times; then given up. */
  private retransmit(pending: Pending): void {
    pending.timer = undefined;
    if (pending.stopped) return;
    if (pending.retransmissions >= coap.parameters.maxRetransmit) {
      this.fail(pending, new DeviceTimeoutError(`${pending.what}: no answer after ${pending.retransmissions} retransmissions`));
      return;
    }
    pending.retransmissions++;
    pending.waitMs *= 2;
    if (!this.send(pending.datagram, pending.peer, pending.unsent)) {
      this.fail(pending, new TransportError(`${pending.what}: socket closed`));
      return;
    }
    pending.timer = setTimeout(() => this.retransmit(pending), pending.waitMs);
  }

  private stopRetransmitting(pending: Pending): void {
    clearTimeout(pending.timer);
    pending.timer = undefined;
    this.byAckKey.delete(pending.ackKey);
  }

  private settle(pending: Pending, response: DeviceResponse): void {
    this.forget(pending);
    pending.events.answered(response);
  }

  private fail(pending: Pending, error: Error): void {
    // Once: a send's late report may come after the request ended.
    if (pending.stopped) return;
    this.forget(pending);
    pending.events.failed(error);
  }

  private refuse(events: ConfirmableRequestEvents, error: Error): undefined {
    events.failed(error);
    return undefined;
  }

  private forget(pending: Pending): void {
    if (pending.stopped) return;
    pending.stopped = true;
    this.stopRetransmitting(pending);
    if (this.byToken.get(pending.tokenKey) === pending) this.byToken.delete(pending.tokenKey);
  }
}

/** An empty ACK of a separate response (RFC 7252 §4.2), by the edge's one encoder (always encodable). */
function emptyAck(messageId: number): Buffer {
  return encodeCoapReply({ ack: true, code: '0.00', messageId, token: NO_PAYLOAD, options: [] }) ?? NO_PAYLOAD;
}
