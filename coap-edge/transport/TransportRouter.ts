/**
 * Sends each device request through the transport its device registered on: the DTLS transport
 * (CoAPS, 5684) for a peer with a secure session, the plain one (CoAP, 5683) otherwise. Device
 * code sees one `request`/`observe` interface either way.
 */
import type { CoapTransport, DeviceRequest, DeviceResponse, Observation, Peer } from './CoapTransport.ts';

export type DeviceTransport = Pick<CoapTransport, 'request' | 'observe'>;

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

  private pick(peer: Peer): DeviceTransport {
    return this.secure !== undefined && this.isSecurePeer(peer) ? this.secure : this.plain;
  }
}
