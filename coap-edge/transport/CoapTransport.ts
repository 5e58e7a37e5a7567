/**
 * The edge's one UDP socket (STYLE.md §6: node-coap lives here and nowhere else).
 *
 * Inbound requests (Register, Update, De-register, Send, firmware blocks) are parsed and answered
 * here, statelessly where possible: a firmware block is sliced from a cached image by block number,
 * because devices change tokens between blocks. Duplicate CONs are answered from a short-lived
 * response cache (RFC 7252 §4.5). A request body sent in Block1 pieces is reassembled first
 * (Block1Receiver, RFC 7959 §2.5): handlers see whole requests only. Outbound requests to
 * devices go through a node-coap Agent on the same socket, so a device behind NAT sees one server
 * address; its string errors and RetrySendError become typed errors here. Whatever a device sends, this file never throws.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import coap from 'coap';
import { CoapOption, decodeUint, encodeUint } from './coapOptions.ts';
import { DeviceNoResponseError, DeviceRequestError, DeviceTimeoutError, PeerMovedError, TransportError, toTransportError } from './errors.ts';
import { optionNumber, toContentFormatNumber } from './packetOptions.ts';
import { Block1Receiver, type Block1ReceiverOptions } from './Block1Receiver.ts';
import { PeerIndex, forgetCachedReplies } from './peerAddresses.ts';
import { encodeCoapReply } from './replyEncoding.ts';

export interface Peer {
  readonly address: string;
  readonly port: number;
}

export type CoapMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'FETCH' | 'iPATCH';

export interface InboundRequest {
  readonly method: CoapMethod;
  readonly pathSegments: readonly string[];
  readonly query: string;
  readonly payload: Buffer;
  readonly contentFormat?: number;
  readonly token: Buffer;
  /** Raw option values by number (first occurrence), for Block2 and friends. */
  readonly option: (number: number) => Buffer | undefined;
  readonly peer: Peer;
  /** Set when the request came through a DTLS session: the PSK identity it authenticated with. */
  readonly security?: { readonly pskIdentity: string };
}

export interface OutboundResponse {
  readonly code: string;
  readonly payload?: Uint8Array;
  readonly contentFormat?: number;
  readonly locationPath?: readonly string[];
  /** Extra options as (number, value) pairs, e.g. Block2, Size2, ETag. */
  readonly options?: readonly (readonly [number, Buffer])[];
}

export type InboundHandler = (request: InboundRequest) => Promise<OutboundResponse | undefined>;

export interface DeviceRequest {
  readonly method: CoapMethod;
  readonly path: string;
  readonly query?: string;
  readonly payload?: Uint8Array;
  readonly contentFormat?: number;
  readonly accept?: number;
  readonly timeoutMs?: number;
  /**
   * Extra options as (number, value) pairs, e.g. Block1 and Size1 of a block-wise Write. Set by
   * number, so node-coap does not run its own Block1 segmentation on them.
   */
  readonly options?: readonly (readonly [number, Buffer])[];
  /** Token of the request (a block-wise transfer may keep one, RFC 7959 §2.4); fresh by default. */
  readonly token?: Buffer;
}

export interface DeviceResponse {
  readonly code: string;
  readonly payload: Buffer;
  readonly contentFormat?: number;
  /** Location-Path segments joined with "/", e.g. "3303/1" (Create's answer). */
  readonly locationPath?: string;
  /** Block1 (raw) and Size1 of the answer (2.31 Continue, 4.13 Request Entity Too Large). */
  readonly block1?: Buffer;
  readonly size1?: number;
}

export interface Observation {
  /**
   * Forgets the observation; the next notification is answered with RST (RFC 7641 §3.6).
   * `active`: also send a GET with Observe 1 (LwM2M 1.1 §5.5.2 Cancel Observation); GET only.
   */
  cancel(active?: boolean): void;
}

export interface ObserveOptions {
  /** Observe-Composite: FETCH with this payload (the path list) instead of GET. */
  readonly fetch?: { readonly payload: Uint8Array; readonly contentFormat: number };
  /** The device ended the observation with an error notification (RFC 7641 §4.2), e.g. 4.04. */
  readonly onEnd?: (code: string) => void;
}

export interface TransportStats {
  datagramsIn: number;
  malformedDatagrams: number;
  requestsIn: number;
  duplicateRequests: number;
  handlerErrors: number;
  throttledRequests: number;
}

/**
 * What the transport needs of a datagram socket: a plain UDP socket (node:dgram), or a secure
 * layer with the same shape that hands over decrypted datagrams (DTLS on 5684).
 */
export interface DatagramSocket {
  on(event: 'message', listener: (message: Buffer, remote: RemoteInfo) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  bind(port: number, address: string, callback: () => void): unknown;
  address(): { address: string; family: string; port: number };
  send(buffer: Buffer, offset: number, length: number, port: number, address: string, callback?: (error: Error | null) => void): unknown;
  close(callback?: () => void): unknown;
  /** Kernel receive buffer (SO_RCVBUF); a plain UDP socket has it, a DTLS layer need not. */
  setRecvBufferSize?(size: number): void;
}

export interface CoapTransportOptions {
  readonly port: number;
  /** For a secure socket: the authenticated identity of a peer's session. */
  readonly securityFor?: (peer: Peer) => { readonly pskIdentity: string } | undefined;
  /** Creates the socket to serve on; a plain UDP socket by default. */
  readonly socketFactory?: () => DatagramSocket;
  readonly address?: string;
  readonly requestTimeoutMs?: number;
  /**
   * How long to wait for the separate response to a request the device acknowledged with an
   * empty ACK (RFC 7252 §5.2.2) before it fails with DeviceNoResponseError. @default 60 s
   */
  readonly separateResponseTimeoutMs?: number;
  readonly onError?: (error: Error, context: string) => void;
  /**
   * SO_RCVBUF of the socket: room for a burst of datagrams while the event loop is busy (a
   * registration storm, hundreds of devices pulling blocks). The kernel caps it at
   * net.core.rmem_max. @default 4 MiB
   */
  readonly receiveBufferBytes?: number;
  /** Limits of block-wise request bodies (RFC 7959 §2.5): sizes, transfers held, their timeout. */
  readonly block1?: Block1ReceiverOptions;
}

/** RFC 7252 EXCHANGE_LIFETIME is 247 s; duplicates come within seconds, so a shorter window bounds memory. */
const DEDUPLICATION_WINDOW_MS = 60_000;
const MAX_DEDUPLICATION_ENTRIES = 50_000;
/** Requests of one peer being handled at once; LwM2M clients have one or two outstanding (NSTART = 1). */
const MAX_IN_FLIGHT_PER_PEER = 8;

/** The end an observation gets when its peer's address was taken by another endpoint (not a CoAP code). */
export const ADDRESS_TAKEN = 'address taken';

const CODE_BY_METHOD: Readonly<Record<string, CoapMethod>> = { '0.01': 'GET', '0.02': 'POST', '0.03': 'PUT', '0.04': 'DELETE', '0.05': 'FETCH', '0.07': 'iPATCH' };

export class CoapTransport {
  readonly stats: TransportStats = { datagramsIn: 0, malformedDatagrams: 0, requestsIn: 0, duplicateRequests: 0, handlerErrors: 0, throttledRequests: 0 };
  private socket: DatagramSocket | undefined;
  private agent: coap.Agent | undefined;
  private readonly agentSocket = new AgentSocket();
  /** (peer, message id) -> the response sent, or 'pending' while the handler runs. */
  private readonly exchanges = new Map<string, { at: number; reply: Buffer | 'pending' }>();
  private readonly inFlightByPeer = new Map<string, number>();
  /** Outstanding outbound exchanges by peer: each entry gives up its exchange with the error. */
  private readonly outstanding = new Map<string, Set<(error: Error) => void>>();
  private handler: InboundHandler = () => Promise.resolve({ code: '4.04' });
  /** Token (hex) of each established observation -> what ends it when the device sends an error. */
  private readonly observationEnds = new Map<string, (code: string) => void>();
  /** The observations made to each peer, ended by `forgetPeer`. */
  private readonly observationsByPeer = new PeerIndex<() => void>();
  /** (peer, message id) of each outbound request awaiting its ACK -> what an empty ACK starts. */
  private readonly awaitingAck = new Map<string, () => void>();
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Reassembles Block1 request bodies; a request reaches the handler only whole. */
  readonly block1: Block1Receiver;

  constructor(private readonly options: CoapTransportOptions) {
    this.block1 = new Block1Receiver(options.block1);
  }

  onRequest(handler: InboundHandler): void {
    this.handler = handler;
  }

  async start(): Promise<Peer> {
    const socket = this.options.socketFactory?.() ?? createSocket({ type: 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (message, remote) => this.receive(message, remote));
    socket.on('error', (error) => this.options.onError?.(error, 'socket'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port, this.options.address ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize?.(this.options.receiveBufferBytes ?? 4 * 1024 * 1024);
    } catch (error) {
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)), 'receive buffer');
    }
    this.agentSocket.attach(socket);
    this.agent = new coap.Agent({ socket: this.agentSocket as unknown as Socket });
    this.sweepTimer = setInterval(() => this.sweepExchanges(), 10_000).unref();
    const bound = socket.address();
    return { address: bound.address, port: bound.port };
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.agentSocket.detach();
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Sends a confirmable request to a device and waits for its response (piggybacked or separate). */
  request(peer: Peer, request: DeviceRequest): Promise<DeviceResponse> {
    const agent = this.agent;
    if (agent === undefined) return Promise.reject(new TransportError('transport is not started'));
    const what = `${request.method} ${request.path} to ${peer.address}:${peer.port}`;
    return new Promise<DeviceResponse>((resolve, reject) => {
      let settled = false;
      let ackKey: string | undefined;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        untrack();
        if (ackKey !== undefined) this.awaitingAck.delete(ackKey);
        action();
      };
      const outgoing = agent.request({
        hostname: peer.address,
        port: peer.port,
        method: request.method,
        pathname: request.path,
        ...(request.query === undefined ? {} : { query: request.query }),
        ...(request.token === undefined ? {} : { token: request.token }),
        confirmable: true,
      });
      let timer = setTimeout(() => {
        settle(() => reject(new DeviceTimeoutError(`${what}: no response within ${this.timeoutFor(request)} ms`)));
        this.abortQuietly(agent, outgoing, what);
      }, this.timeoutFor(request));
      const untrack = this.track(peer, (error) => settle(() => {
        reject(error);
        this.abortQuietly(agent, outgoing, what);
      }));
      if (request.contentFormat !== undefined) outgoing.setOption('Content-Format', encodeUint(request.contentFormat));
      if (request.accept !== undefined) outgoing.setOption('Accept', encodeUint(request.accept));
      for (const [number, value] of request.options ?? []) outgoing.setOption(String(number), value);
      outgoing.on('response', (response: coap.IncomingMessage) => {
        settle(() => resolve(toDeviceResponse(response)));
      });
      outgoing.on('error', (error: unknown) => settle(() => reject(toTransportError(error, what))));
      outgoing.on('timeout', (error: unknown) => settle(() => reject(toTransportError(error, what))));
      outgoing.end(request.payload === undefined ? undefined : Buffer.from(request.payload));
      // An empty ACK means the device has the request and answers later (RFC 7252 §5.2.2): from
      // then on the wait is the separate-response wait, and its end is DeviceNoResponseError.
      const messageId = (outgoing as unknown as { _packet?: { messageId?: number } })._packet?.messageId;
      if (!settled && messageId !== undefined) {
        ackKey = `${peer.address}:${peer.port}:${messageId}`;
        this.awaitingAck.set(ackKey, () => {
          if (settled) return;
          clearTimeout(timer);
          const waitMs = this.options.separateResponseTimeoutMs ?? 60_000;
          timer = setTimeout(() => {
            settle(() => reject(new DeviceNoResponseError(`${what}: acknowledged, but no response within ${waitMs} ms`)));
            this.abortQuietly(agent, outgoing, what);
          }, waitMs);
        });
      }
    });
  }

  /**
   * Observes a resource (RFC 7641): `onNotification` gets the first response and every
   * notification. Resolves once the device accepted the observation (2.05 with Observe).
   */
  observe(peer: Peer, path: string, accept: number | undefined, onNotification: (response: DeviceResponse) => void, observeOptions: ObserveOptions = {}): Promise<Observation> {
    const agent = this.agent;
    if (agent === undefined) return Promise.reject(new TransportError('transport is not started'));
    const what = `Observe ${path} at ${peer.address}:${peer.port}`;
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    return new Promise<Observation>((resolve, reject) => {
      let settled = false;
      const fetch = observeOptions.fetch;
      const outgoing = agent.request({ hostname: peer.address, port: peer.port, method: fetch === undefined ? 'GET' : 'FETCH', pathname: path, observe: true, confirmable: true });
      if (accept !== undefined) outgoing.setOption('Accept', encodeUint(accept));
      if (fetch !== undefined) outgoing.setOption('Content-Format', encodeUint(fetch.contentFormat));
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        untrack();
        reject(new DeviceTimeoutError(`${what}: no response within ${timeoutMs} ms`));
        this.abortQuietly(agent, outgoing, what);
      }, timeoutMs);
      const untrack = this.track(peer, (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        untrack();
        reject(error);
        this.abortQuietly(agent, outgoing, what);
      });
      outgoing.on('response', (stream: coap.IncomingMessage & EventEmitter & { close?: (eagerDeregister?: boolean) => void }) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        untrack();
        const first = toDeviceResponse(stream);
        if (!first.code.startsWith('2.')) {
          reject(new DeviceRequestError(first.code, `${what}: device answered ${first.code}`));
          return;
        }
        const contentFormat = first.contentFormat;
        stream.on('data', (payload: Buffer) => {
          // An error notification ends the observation (receive() closes it); it carries no value.
          if (!String(stream.code).startsWith('2.')) return;
          const format = toContentFormatNumber(stream.headers['Content-Format']) ?? contentFormat;
          onNotification({ code: String(stream.code), payload: Buffer.from(payload), ...(format === undefined ? {} : { contentFormat: format }) });
        });
        stream.on('error', (error: unknown) => this.options.onError?.(toTransportError(error, what), 'observe'));
        const token = tokenOf(outgoing);
        // node-coap drops error notifications (no Observe option); receive() spots them by token.
        const end = (code: string): void => {
          if (token !== undefined) this.observationEnds.delete(token);
          this.observationsByPeer.remove(peer, endHere);
          stream.close?.();
          observeOptions.onEnd?.(code);
        };
        const endHere = (): void => end(ADDRESS_TAKEN);
        if (token !== undefined) this.observationEnds.set(token, end);
        this.observationsByPeer.add(peer, endHere);
        resolve({
          cancel: (active) => {
            this.observationsByPeer.remove(peer, endHere);
            if (token !== undefined) this.observationEnds.delete(token);
            // node-coap's active cancel repeats the request without its payload: GET only.
            stream.close?.(active === true && fetch === undefined);
          },
        });
      });
      outgoing.on('error', (error: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        untrack();
        reject(toTransportError(error, what));
      });
      outgoing.end(fetch === undefined ? undefined : Buffer.from(fetch.payload));
    });
  }

  /**
   * Gives up every exchange outstanding with a peer that is known to have left that address
   * (it registered again from another one): they fail at once with PeerMovedError instead of
   * retransmitting for the rest of the exchange lifetime. Returns how many were given up.
   */
  abandonPeer(peer: Peer, reason: string): number {
    const key = `${peer.address}:${peer.port}`;
    const giveUps = this.outstanding.get(key);
    if (giveUps === undefined) return 0;
    this.outstanding.delete(key);
    for (const giveUp of giveUps) giveUp(new PeerMovedError(`${key}: ${reason}`));
    return giveUps.size;
  }

  /**
   * Forgets everything this transport knows about an address that now belongs to another
   * endpoint (it registered from there): exchanges still outstanding fail with PeerMovedError,
   * observations end (their notifications get RST), cached replies and Block1 transfers go.
   */
  forgetPeer(peer: Peer, reason: string): void {
    this.abandonPeer(peer, reason);
    for (const end of this.observationsByPeer.take(peer)) end();
    forgetCachedReplies(this.exchanges, peer);
    this.block1.forgetPeer(peer);
  }

  /** Records an outstanding exchange with a peer; the returned function forgets it. */
  private track(peer: Peer, giveUp: (error: Error) => void): () => void {
    const key = `${peer.address}:${peer.port}`;
    let giveUps = this.outstanding.get(key);
    if (giveUps === undefined) {
      giveUps = new Set();
      this.outstanding.set(key, giveUps);
    }
    giveUps.add(giveUp);
    return () => {
      const current = this.outstanding.get(key);
      if (current === undefined) return;
      current.delete(giveUp);
      if (current.size === 0) this.outstanding.delete(key);
    };
  }

  private abortQuietly(agent: coap.Agent, outgoing: coap.OutgoingMessage, what: string): void {
    try {
      agent.abort(outgoing);
    } catch (error) {
      this.options.onError?.(toTransportError(error, what), 'abort');
    }
  }

  private timeoutFor(request: DeviceRequest): number {
    return request.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
  }

  /** Every datagram enters here. Responses go to the agent; requests to the handler. */
  private receive(message: Buffer, remote: RemoteInfo): void {
    this.stats.datagramsIn++;
    let packet: ParsedPacket;
    try {
      packet = parse(message);
    } catch {
      this.stats.malformedDatagrams++;
      return;
    }
    const method = CODE_BY_METHOD[packet.code];
    if (method === undefined) {
      // Responses, notifications, empty ACKs and RSTs belong to the agent's exchanges.
      if (packet.code.startsWith('0.') && packet.code !== '0.00') {
        this.stats.malformedDatagrams++;
        if (packet.confirmable) this.sendRaw(generate({ code: '4.05', ack: true, messageId: packet.messageId, token: packet.token }), remote);
        return;
      }
      if (packet.code === '0.00' && packet.ack && this.awaitingAck.size > 0) {
        const key = `${remote.address}:${remote.port}:${packet.messageId}`;
        const acknowledged = this.awaitingAck.get(key);
        this.awaitingAck.delete(key);
        acknowledged?.();
      }
      this.agentSocket.deliver(message, remote);
      if (this.observationEnds.size > 0 && (packet.code.startsWith('4.') || packet.code.startsWith('5.'))) {
        this.observationEnds.get(packet.token.toString('hex'))?.(packet.code);
      }
      return;
    }
    if (packet.ack || packet.reset) {
      this.stats.malformedDatagrams++;
      return;
    }
    this.stats.requestsIn++;
    const exchangeKey = `${remote.address}:${remote.port}:${packet.messageId}`;
    const previous = this.exchanges.get(exchangeKey);
    if (previous !== undefined) {
      this.stats.duplicateRequests++;
      if (previous.reply !== 'pending') this.sendRaw(previous.reply, remote);
      return;
    }
    // Fairness: one peer (a flood, a fuzzer, a broken device) gets a bounded share of the
    // handlers; its excess is dropped unanswered and a real client's retransmission comes back.
    const peerKey = `${remote.address}:${remote.port}`;
    const inFlight = this.inFlightByPeer.get(peerKey) ?? 0;
    if (inFlight >= MAX_IN_FLIGHT_PER_PEER) {
      this.stats.throttledRequests++;
      return;
    }
    this.inFlightByPeer.set(peerKey, inFlight + 1);
    this.exchanges.set(exchangeKey, { at: Date.now(), reply: 'pending' });
    this.answer(packet, method, remote, exchangeKey)
      .catch((error: unknown) => this.options.onError?.(error instanceof Error ? error : new Error(String(error)), 'answer'))
      .finally(() => {
        const left = (this.inFlightByPeer.get(peerKey) ?? 1) - 1;
        if (left <= 0) this.inFlightByPeer.delete(peerKey);
        else this.inFlightByPeer.set(peerKey, left);
      });
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
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)), 'handler');
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
    this.sendRaw(reply, remote);
  }

  private sendRaw(buffer: Buffer, remote: Peer): void {
    this.socket?.send(buffer, 0, buffer.length, remote.port, remote.address, (error) => {
      if (error !== null && error !== undefined) this.options.onError?.(error, 'send');
    });
  }

  private sweepExchanges(): void {
    this.block1.expire();
    const cutoff = Date.now() - DEDUPLICATION_WINDOW_MS;
    for (const [key, entry] of this.exchanges) {
      if (entry.at < cutoff) this.exchanges.delete(key);
    }
  }
}

function toInboundRequest(packet: ParsedPacket, method: CoapMethod, remote: RemoteInfo): InboundRequest {
  const pathSegments: string[] = [];
  const queries: string[] = [];
  let contentFormat: number | undefined;
  for (const option of packet.options) {
    const number = optionNumber(option.name);
    if (number === CoapOption.UriPath) pathSegments.push(option.value.toString('utf8'));
    else if (number === CoapOption.UriQuery) queries.push(option.value.toString('utf8'));
    else if (number === CoapOption.ContentFormat && contentFormat === undefined) contentFormat = decodeUint(option.value);
  }
  return {
    method,
    pathSegments,
    query: queries.join('&'),
    payload: packet.payload,
    ...(contentFormat === undefined ? {} : { contentFormat }),
    token: packet.token,
    option: (number) => packet.options.find((o) => optionNumber(o.name) === number)?.value,
    peer: { address: remote.address, port: remote.port },
  };
}

/** Content-Format option values by format, encoded once: a handful of formats answer every reply. */
const contentFormatOptions = new Map<number, Buffer>();

function contentFormatOption(format: number): Buffer {
  let value = contentFormatOptions.get(format);
  if (value === undefined) {
    value = encodeUint(format);
    contentFormatOptions.set(format, value);
  }
  return value;
}

/** A piggybacked ACK for a CON, a NON for a NON (RFC 7252 §5.2). Undefined if it cannot be encoded. */
function encodeResponse(request: ParsedPacket, response: OutboundResponse): Buffer | undefined {
  const options: (readonly [number, Uint8Array])[] = [];
  for (const segment of response.locationPath ?? []) options.push([CoapOption.LocationPath, Buffer.from(segment)]);
  if (response.contentFormat !== undefined) options.push([CoapOption.ContentFormat, contentFormatOption(response.contentFormat)]);
  if (response.options !== undefined) options.push(...response.options);
  // A stable sort: repeated options (Location-Path) keep their order (RFC 7252 §5.4.5).
  options.sort((a, b) => a[0] - b[0]);
  return encodeCoapReply({ code: response.code, messageId: request.messageId, token: request.token, ack: request.confirmable, options, ...(response.payload === undefined ? {} : { payload: response.payload }) });
}

function toDeviceResponse(response: coap.IncomingMessage): DeviceResponse {
  const contentFormat = toContentFormatNumber(response.headers['Content-Format']);
  const options = (response as unknown as { _packet?: { options?: readonly { name: string; value: Buffer }[] } })._packet?.options ?? [];
  const location = options.filter((o) => o.name === 'Location-Path').map((o) => o.value.toString('utf8'));
  // node-coap has already turned some option values into numbers or strings (Size1 among them).
  const block1: unknown = options.find((o) => o.name === 'Block1')?.value;
  const size1Value: unknown = options.find((o) => o.name === 'Size1')?.value;
  const size1 = typeof size1Value === 'number' ? size1Value : Buffer.isBuffer(size1Value) ? decodeUint(size1Value) : undefined;
  return {
    code: String(response.code),
    payload: Buffer.from(response.payload ?? Buffer.alloc(0)),
    ...(contentFormat === undefined ? {} : { contentFormat }),
    ...(location.length === 0 ? {} : { locationPath: location.join('/') }),
    ...(Buffer.isBuffer(block1) ? { block1 } : {}),
    ...(size1 === undefined ? {} : { size1 }),
  };
}

/** The token node-coap chose for a request (set when the request is sent). */
function tokenOf(outgoing: coap.OutgoingMessage): string | undefined {
  const token = (outgoing as unknown as { _packet?: { token?: Buffer } })._packet?.token;
  return token === undefined || token.length === 0 ? undefined : token.toString('hex');
}

/**
 * The socket node-coap's Agent sees: it sends through the real socket, and receives only what
 * this transport hands it (responses), so a malformed request can never reach library code.
 */
class AgentSocket extends EventEmitter {
  readonly type = 'udp4';
  private socket: DatagramSocket | undefined;

  attach(socket: DatagramSocket): void {
    this.socket = socket;
  }

  detach(): void {
    this.socket = undefined;
  }

  deliver(message: Buffer, remote: RemoteInfo): void {
    try {
      this.emit('message', message, remote);
    } catch {
      // node-coap threw on a response it could not handle; the exchange times out instead.
    }
  }

  address(): ReturnType<DatagramSocket['address']> {
    if (this.socket === undefined) return { address: '0.0.0.0', family: 'IPv4', port: 0 };
    return this.socket.address();
  }

  send(buffer: Buffer, offset: number, length: number, port: number, address: string, callback?: (error: Error | null) => void): void {
    if (this.socket === undefined) {
      callback?.(new Error('socket closed'));
      return;
    }
    this.socket.send(buffer, offset, length, port, address, (error) => callback?.(error ?? null));
  }

  close(): void {
    // The transport owns the real socket.
  }
}
