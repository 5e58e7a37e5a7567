/**
 * Sends each device request through the transport its device registered on: the DTLS transport
 * (CoAPS, 5684) for a device registered over DTLS or a peer with a secure session, the plain one
 * (CoAP, 5683) otherwise. A device registered over DTLS is never sent a request in plaintext: with
 * its session gone (revoked, idle) the request fails until it handshakes again. Device code sees
 * one `request`/`observe` interface either way.
 */
import type { CoapTransport, DeviceRequest, DeviceResponse, Observation, Peer } from './CoapTransport.ts';

export type DeviceTransport = Pick<CoapTransport, 'request' | 'observe'>;

/** A device's address, and whether it registered over DTLS. */
export interface DevicePeer extends Peer {
  readonly secure?: boolean;
}

export class TransportRouter implements DeviceTransport {
  constructor(
    private readonly plain: DeviceTransport,
    private readonly secure: DeviceTransport | undefined,
    private readonly isSecurePeer: (peer: Peer) => boolean,
  ) {}

  request(peer: Peer, request: DeviceRequest): Promise<DeviceResponse> {
    return this.pick(peer).request(peer, request);
  }

  observe(...args: Parameters<CoapTransport['observe']>): Promise<Observation> {
    return this.pick(args[0]).observe(...args);
  }

  private pick(peer: DevicePeer): DeviceTransport {
    return this.secure !== undefined && (peer.secure === true || this.isSecurePeer(peer)) ? this.secure : this.plain;
  }
}
