/**
 * Observations a device accepted (RFC 7641): their notifications go to the caller, and each ends
 * when the caller cancels it, when the device sends an error notification (§4.2), or when its
 * peer's address is taken by another endpoint.
 */
import type coap from 'coap';
import { toTransportError } from './errors.ts';
import { toNotification, tokenOf, type ObserveStream } from './packetCodec.ts';
import { PeerIndex } from './peerAddresses.ts';
import { ADDRESS_TAKEN, type DeviceResponse, type Observation, type ObserveOptions, type Peer } from './transportTypes.ts';

/** An accepted observation, as node-coap delivered it. */
export interface AcceptedObservation {
  readonly peer: Peer;
  readonly outgoing: coap.OutgoingMessage;
  readonly stream: ObserveStream;
  readonly first: DeviceResponse;
  /** For errors: "Observe /3/0 at 10.0.0.1:5683". */
  readonly what: string;
}

export class Observations {
  /** Token (hex) of each observation -> what ends it when the device sends an error notification. */
  private readonly endsByToken = new Map<string, (code: string) => void>();
  /** The observations made to each peer, ended by `forgetPeer`. */
  private readonly byPeer = new PeerIndex<() => void>();

  constructor(private readonly onError: (error: Error, context: string) => void) {}

  /** Wires an accepted observation: its notifications to `onNotification`, its end to `options.onEnd`. */
  open(accepted: AcceptedObservation, onNotification: (response: DeviceResponse) => void, options: ObserveOptions): Observation {
    const { peer, outgoing, stream, first, what } = accepted;
    stream.on('data', (payload: Buffer) => {
      // An error notification ends the observation (endByError); it carries no value.
      if (!String(stream.code).startsWith('2.')) return;
      onNotification(toNotification(stream, payload, first.contentFormat));
    });
    stream.on('error', (error: unknown) => this.onError(toTransportError(error, what), 'observe'));
    const token = tokenOf(outgoing);
    const end = (code: string): void => {
      if (token !== undefined) this.endsByToken.delete(token);
      this.byPeer.remove(peer, endHere);
      stream.close?.();
      options.onEnd?.(code);
    };
    const endHere = (): void => end(ADDRESS_TAKEN);
    if (token !== undefined) this.endsByToken.set(token, end);
    this.byPeer.add(peer, endHere);
    return {
      cancel: (active) => {
        this.byPeer.remove(peer, endHere);
        if (token !== undefined) this.endsByToken.delete(token);
        // node-coap's active cancel repeats the request without its payload: GET only.
        stream.close?.(active === true && options.fetch === undefined);
      },
    };
  }

  /** node-coap drops error notifications (no Observe option): one on an observation's token ends it. */
  endByError(token: Buffer, code: string): void {
    if (this.endsByToken.size > 0) this.endsByToken.get(token.toString('hex'))?.(code);
  }

  /** Ends every observation made to an address now taken by another endpoint. */
  forgetPeer(peer: Peer): void {
    for (const end of this.byPeer.take(peer)) end();
  }
}
