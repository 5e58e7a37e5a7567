/**
 * The edge's one UDP socket (STYLE.md §6: node-coap lives in this folder and nowhere else), a
 * small facade over its parts: every datagram enters in `receive` and goes to the requests from
 * devices (InboundExchanges: deduplication, fairness, Block1 reassembly, the handler) or to the
 * requests to devices (OutboundRequests: node-coap's Agent on this same socket, observations),
 * converted by packetCodec.ts. Whatever a device sends, nothing here throws.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo } from 'node:dgram';
import { parse, type ParsedPacket } from 'coap-packet';
import { Block1Receiver } from './Block1Receiver.ts';
import { InboundExchanges } from './InboundExchanges.ts';
import { literalFirstLookup } from './literalLookup.ts';
import { OutboundRequests } from './OutboundRequests.ts';
import { encodeResponse, methodOf } from './packetCodec.ts';
import type { CoapTransportOptions, DatagramSocket, DeviceRequest, DeviceResponse, InboundHandler, Observation, ObserveOptions, Peer, TransportStats } from './transportTypes.ts';

export { ADDRESS_TAKEN } from './transportTypes.ts';
export type {
  CoapMethod,
  CoapTransportOptions,
  DatagramSocket,
  DeviceRequest,
  DeviceResponse,
  InboundHandler,
  InboundRequest,
  Observation,
  ObserveOptions,
  OutboundResponse,
  Peer,
  TransportStats,
} from './transportTypes.ts';

/** How often cached replies and stale Block1 transfers are swept. */
const SWEEP_INTERVAL_MS = 10_000;

export class CoapTransport {
  readonly stats: TransportStats = { datagramsIn: 0, malformedDatagrams: 0, requestsIn: 0, duplicateRequests: 0, handlerErrors: 0, throttledRequests: 0 };
  /** Reassembles Block1 request bodies; a request reaches the handler only whole. */
  readonly block1: Block1Receiver;
  private readonly inbound: InboundExchanges;
  private readonly outbound: OutboundRequests;
  private readonly onError: (error: Error, context: string) => void;
  private socket: DatagramSocket | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CoapTransportOptions) {
    this.onError = options.onError ?? (() => undefined);
    this.block1 = new Block1Receiver(options.block1);
    this.inbound = new InboundExchanges(this.stats, this.block1, { securityFor: options.securityFor, send: (reply, to) => this.sendRaw(reply, to), onError: this.onError });
    this.outbound = new OutboundRequests({
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      separateResponseTimeoutMs: options.separateResponseTimeoutMs ?? 60_000,
      onError: this.onError,
    });
  }

  onRequest(handler: InboundHandler): void {
    this.inbound.onRequest(handler);
  }

  async start(): Promise<Peer> {
    const socket = this.options.socketFactory?.() ?? createSocket({ type: 'udp4', reuseAddr: false, lookup: literalFirstLookup });
    this.socket = socket;
    socket.on('message', (message, remote) => this.receive(message, remote));
    socket.on('error', (error) => this.onError(error, 'socket'));
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
      this.onError(error instanceof Error ? error : new Error(String(error)), 'receive buffer');
    }
    this.outbound.attach(socket);
    this.sweepTimer = setInterval(() => this.inbound.sweep(), SWEEP_INTERVAL_MS).unref();
    const bound = socket.address();
    return { address: bound.address, port: bound.port };
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.outbound.detach();
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Sends a confirmable request to a device and waits for its response (piggybacked or separate). */
  request(peer: Peer, request: DeviceRequest): Promise<DeviceResponse> {
    return this.outbound.request(peer, request);
  }

  /**
   * Observes a resource (RFC 7641): `onNotification` gets the first response and every
   * notification. Resolves once the device accepted the observation (2.05 with Observe).
   */
  observe(peer: Peer, path: string, accept: number | undefined, onNotification: (response: DeviceResponse) => void, observeOptions: ObserveOptions = {}): Promise<Observation> {
    return this.outbound.observe(peer, path, accept, onNotification, observeOptions);
  }

  /**
   * Gives up every exchange outstanding with a peer that is known to have left that address
   * (it registered again from another one): they fail at once with PeerMovedError instead of
   * retransmitting for the rest of the exchange lifetime. Returns how many were given up.
   */
  abandonPeer(peer: Peer, reason: string): number {
    return this.outbound.abandonPeer(peer, reason);
  }

  /**
   * Forgets everything this transport knows about an address that now belongs to another
   * endpoint (it registered from there): exchanges still outstanding fail with PeerMovedError,
   * observations end (their notifications get RST), cached replies and Block1 transfers go.
   */
  forgetPeer(peer: Peer, reason: string): void {
    this.outbound.forgetPeer(peer, reason);
    this.inbound.forgetPeer(peer);
  }

  /** Every datagram enters here. Requests go to the inbound exchanges; the rest to the agent's. */
  private receive(message: Buffer, remote: RemoteInfo): void {
    this.stats.datagramsIn++;
    let packet: ParsedPacket;
    try {
      packet = parse(message);
    } catch {
      this.stats.malformedDatagrams++;
      return;
    }
    const method = methodOf(packet);
    if (method !== undefined) return this.inbound.receive(packet, method, remote);
    if (packet.code.startsWith('0.') && packet.code !== '0.00') {
      // A request with a method this server does not know (RFC 7252 §5.8): 4.05 to a CON.
      this.stats.malformedDatagrams++;
      const reply = packet.confirmable ? encodeResponse(packet, { code: '4.05' }) : undefined;
      if (reply !== undefined) this.sendRaw(reply, remote);
      return;
    }
    this.outbound.receive(message, packet, remote);
  }

  /** No callback: a send that fails reaches the socket's 'error' listener (onError), and one that succeeds costs no callback tick. */
  private sendRaw(buffer: Buffer, remote: Peer): void {
    this.socket?.send(buffer, 0, buffer.length, remote.port, remote.address);
  }
}
