/**
 * Requests from the edge to devices: each a confirmable request on the wire (ConfirmableRequests,
 * the transport's own codec) settled by OutboundExchange; observations through a node-coap Agent
 * on the transport's own socket (via AgentSocket), with node-coap's string errors and
 * RetrySendError turned into typed errors. An empty ACK turns the wait into the wait for a
 * separate response (RFC 7252 §5.2.2); a peer known to have moved is given up at once.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import coap from 'coap';
import type { ParsedPacket } from 'coap-packet';
import { poolRandom } from '../../dtls/randomPool.ts';
import { AgentSocket } from './AgentSocket.ts';
import { ConfirmableRequests } from './ConfirmableRequests.ts';
import { DeviceNoResponseError, DeviceRequestError, DeviceTimeoutError, PeerMovedError, TransportError, toTransportError } from './errors.ts';
import { Observations } from './Observations.ts';
import { OutboundExchange } from './OutboundExchange.ts';
import { setRequestOptions, shareMessageIds, toDeviceResponse, type ObserveStream } from './packetCodec.ts';
import { peerKey } from './peerAddresses.ts';
import type { DatagramSocket, DeviceRequest, DeviceResponse, Observation, ObserveOptions, Peer } from './transportTypes.ts';

/**
 * Token bytes of a request (RFC 7252 §5.3.1: random enough that an off-path attacker cannot guess
 * one), cut from the CSPRNG pool: node-coap would call randomBytes for each request, a fixed cost
 * per call many times that of the bytes.
 */
const TOKEN_BYTES = 8;

export interface OutboundRequestsOptions {
  readonly requestTimeoutMs: number;
  readonly separateResponseTimeoutMs: number;
  readonly onError: (error: Error, context: string) => void;
}

export class OutboundRequests {
  private readonly agentSocket = new AgentSocket();
  private readonly agent = new coap.Agent({ socket: this.agentSocket as unknown as Socket });
  private readonly observations: Observations;
  private readonly confirmable = new ConfirmableRequests((datagram, peer, unsent) => this.agentSocket.sendDatagram(datagram, peer, unsent));
  /** Outstanding exchanges by peer: each entry gives up its exchange with the error. */
  private readonly outstanding = new Map<string, Set<(error: Error) => void>>();

  constructor(private readonly options: OutboundRequestsOptions) {
    this.observations = new Observations(options.onError);
    shareMessageIds(this.agent, () => this.confirmable.nextMessageId());
  }

  attach(socket: DatagramSocket): void {
    this.agentSocket.attach(socket);
  }

  detach(): void {
    this.agentSocket.detach();
  }

  /** Sends a confirmable request to a device and waits for its response (piggybacked or separate). */
  request(peer: Peer, request: DeviceRequest): Promise<DeviceResponse> {
    if (!this.agentSocket.attached) return Promise.reject(new TransportError('transport is not started'));
    const what = `${request.method} ${request.path} to ${peer.address}:${peer.port}`;
    const timeoutMs = request.timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise<DeviceResponse>((resolve, reject) => {
      // The request is stopped (its retransmissions) only by a deadline or a peer given up, after it was sent.
      const exchange = this.open<DeviceResponse>(peer, resolve, reject, () => sent?.stop());
      exchange.deadline(timeoutMs, () => new DeviceTimeoutError(`${what}: no response within ${timeoutMs} ms`));
      const separateWaitMs = this.options.separateResponseTimeoutMs;
      const sent = this.confirmable.start(peer, request, request.token ?? poolRandom(TOKEN_BYTES), what, {
        // From the empty ACK on, the wait is the separate-response wait, and its end is DeviceNoResponseError.
        acknowledged: () => exchange.deadline(separateWaitMs, () => new DeviceNoResponseError(`${what}: acknowledged, but no response within ${separateWaitMs} ms`)),
        answered: (response) => exchange.succeed(response),
        failed: (error) => exchange.fail(error),
      });
    });
  }

  /**
   * Observes a resource (RFC 7641): `onNotification` gets the first response and every
   * notification. Resolves once the device accepted the observation (2.05 with Observe).
   */
  observe(peer: Peer, path: string, accept: number | undefined, onNotification: (response: DeviceResponse) => void, observeOptions: ObserveOptions = {}): Promise<Observation> {
    if (!this.agentSocket.attached) return Promise.reject(new TransportError('transport is not started'));
    const what = `Observe ${path} at ${peer.address}:${peer.port}`;
    const timeoutMs = this.options.requestTimeoutMs;
    const fetch = observeOptions.fetch;
    return new Promise<Observation>((resolve, reject) => {
      const outgoing = this.agent.request({ hostname: peer.address, port: peer.port, method: fetch === undefined ? 'GET' : 'FETCH', pathname: path, observe: true, confirmable: true, token: poolRandom(TOKEN_BYTES) });
      setRequestOptions(outgoing, { ...(accept === undefined ? {} : { accept }), ...(fetch === undefined ? {} : { contentFormat: fetch.contentFormat }) });
      const exchange = this.open<Observation>(peer, resolve, reject, () => this.abortQuietly(outgoing, what));
      exchange.deadline(timeoutMs, () => new DeviceTimeoutError(`${what}: no response within ${timeoutMs} ms`));
      outgoing.on('response', (stream: ObserveStream) => {
        if (exchange.isSettled) return;
        const first = toDeviceResponse(stream);
        if (!first.code.startsWith('2.')) exchange.fail(new DeviceRequestError(first.code, `${what}: device answered ${first.code}`));
        else exchange.succeed(this.observations.open({ peer, outgoing, stream, first, what }, onNotification, observeOptions));
      });
      outgoing.on('error', (error: unknown) => exchange.fail(toTransportError(error, what)));
      outgoing.end(fetch === undefined ? undefined : Buffer.from(fetch.payload));
    });
  }

  /**
   * A datagram that is not a request (a response, a notification, an empty ACK, an RST): the
   * edge's own requests take theirs; node-coap's exchanges (observations) the rest.
   */
  receive(message: Buffer, packet: ParsedPacket, remote: RemoteInfo): void {
    if (this.confirmable.receive(packet, remote)) return;
    this.agentSocket.deliver(message, remote);
    if (packet.code.startsWith('4.') || packet.code.startsWith('5.')) this.observations.endByError(packet.token, packet.code);
  }

  /**
   * Gives up every exchange outstanding with a peer that is known to have left that address
   * (it registered again from another one): they fail at once with PeerMovedError instead of
   * retransmitting for the rest of the exchange lifetime. Returns how many were given up.
   */
  abandonPeer(peer: Peer, reason: string): number {
    const key = peerKey(peer);
    const giveUps = this.outstanding.get(key);
    if (giveUps === undefined) return 0;
    this.outstanding.delete(key);
    for (const giveUp of giveUps) giveUp(new PeerMovedError(`${key}: ${reason}`));
    return giveUps.size;
  }

  /** Gives up the exchanges with an address now taken by another endpoint and ends the observations made there. */
  forgetPeer(peer: Peer, reason: string): void {
    this.abandonPeer(peer, reason);
    this.observations.forgetPeer(peer);
  }

  /** An exchange for a request just made, tracked by its peer until it settles; `abort` stops its retransmissions. */
  private open<T>(peer: Peer, resolve: (value: T) => void, reject: (error: Error) => void, abort: () => void): OutboundExchange<T> {
    const exchange = new OutboundExchange<T>(resolve, reject, abort);
    const key = peerKey(peer);
    const giveUp = (error: Error): void => exchange.fail(error, { abort: true });
    let giveUps = this.outstanding.get(key);
    if (giveUps === undefined) {
      giveUps = new Set();
      this.outstanding.set(key, giveUps);
    }
    giveUps.add(giveUp);
    exchange.onSettled(() => {
      const current = this.outstanding.get(key);
      current?.delete(giveUp);
      if (current?.size === 0) this.outstanding.delete(key);
    });
    return exchange;
  }

  private abortQuietly(outgoing: coap.OutgoingMessage, what: string): void {
    try {
      this.agent.abort(outgoing);
    } catch (error) {
      this.options.onError(toTransportError(error, what), 'abort');
    }
  }
}
