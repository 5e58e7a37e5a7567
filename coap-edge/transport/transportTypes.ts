/**
 * The transport's vocabulary: what a handler receives and answers, what the edge asks of a device
 * and gets back, and what the transport needs of a datagram socket. Types only; CoapTransport.ts
 * re-exports them, so the rest of the edge imports from the facade.
 */
import type { RemoteInfo } from 'node:dgram';
import type { Block1ReceiverOptions } from './Block1Receiver.ts';

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
   * Extra options as (number, value) pairs, e.g. Block1 and Size1 of a block-wise Write (the
   * edge runs Block1 itself, block1Transfer.ts), in any order.
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

/** The end an observation gets when its peer's address was taken by another endpoint (not a CoAP code). */
export const ADDRESS_TAKEN = 'address taken';
