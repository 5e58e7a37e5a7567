/**
 * The public shapes of DtlsSocket: its options, events and counters.
 */
import type { RemoteInfo } from 'node:dgram';
import type { DtlsError } from './errors.ts';
import type { PskLookup } from './ServerHandshake.ts';

export type { PskLookup };

export interface DtlsSocketOptions {
  /** The PSK of a device by its identity (RFC 4279 §5.1); undefined fails the handshake. */
  readonly pskLookup: PskLookup;
  /** @default 10_000; when full, the session idle longest makes room. */
  readonly maxSessions?: number;
  /** Handshakes past the cookie exchange at once. @default 1_000 */
  readonly maxHandshakes?: number;
  /**
   * Of those, at most this many from one source address. Devices behind one carrier NAT share an
   * address: keep it above the handshakes such a NAT's fleet starts within `handshakeTimeoutMs`. @default 32
   */
  readonly maxHandshakesPerSource?: number;
  /** At most this many from one /24 (IPv6: /64). @default 128 */
  readonly maxHandshakesPerSubnet?: number;
  /** @default 3_600_000 (1 h) */
  readonly sessionIdleTimeoutMs?: number;
  /** A handshake not finished by then is dropped. @default 45_000 */
  readonly handshakeTimeoutMs?: number;
  /**
   * A handshake whose client has not sent its ClientKeyExchange by then is dropped: a source that
   * completes the cookie exchange and goes silent holds its slot this long, not `handshakeTimeoutMs`.
   * The server's flight is sent again at 1, 3 and 7 s meanwhile. @default 10_000
   */
  readonly keyExchangeTimeoutMs?: number;
  /** First retransmission timeout of the server's flight (RFC 6347 §4.2.4.1). @default 1_000 */
  readonly retransmitInitialMs?: number;
  /** @default 4 */
  readonly maxRetransmissions?: number;
  /** How often the cookie secret changes. @default 60_000 */
  readonly cookieRotationMs?: number;
  /** Negotiate RFC 9146 connection IDs with clients that offer them. @default true */
  readonly connectionId?: boolean;
  /** Largest handshake datagram we send; larger messages are fragmented (§4.2.3). @default 1200 */
  readonly mtu?: number;
  /**
   * Issue session IDs and resume sessions by them (RFC 5246 §7.3), for at most
   * `sessionIdleTimeoutMs` after their full handshake, at most `maxSessions` of them. @default true
   */
  readonly resumption?: boolean;
}

/** What the edge learns about an established session. Never the key. */
export interface DtlsSessionInfo {
  readonly identity: string;
  readonly address: string;
  readonly port: number;
  readonly connectionId: boolean;
  readonly extendedMasterSecret: boolean;
  /** True when the session came from an abbreviated handshake (session resumption). */
  readonly resumed: boolean;
}

export interface DtlsPeer {
  readonly address: string;
  readonly port: number;
}

export type SessionEndReason = 'closed by peer' | 'fatal alert' | 'idle' | 'evicted' | 'replaced' | 'revoked' | 'sequence exhausted';

export type DtlsSocketEvents = {
  /** A decrypted application datagram, from the session's current address. */
  message: [plaintext: Buffer, remote: RemoteInfo];
  error: [error: Error];
  session: [session: DtlsSessionInfo];
  sessionEnd: [session: DtlsSessionInfo, reason: SessionEndReason];
  /** A handshake failed: alert sent or received, or timeout. */
  handshakeFailure: [error: DtlsError, peer: DtlsPeer];
  /** RFC 9146: a session's records now come from another address (NAT rebinding). */
  addressChange: [session: DtlsSessionInfo, previous: DtlsPeer];
};

/** The defaults of every optional DtlsSocketOptions field. */
export const DTLS_SOCKET_DEFAULTS: Required<Omit<DtlsSocketOptions, 'pskLookup'>> = {
  maxSessions: 10_000,
  maxHandshakes: 1_000,
  maxHandshakesPerSource: 32,
  maxHandshakesPerSubnet: 128,
  sessionIdleTimeoutMs: 3_600_000,
  handshakeTimeoutMs: 45_000,
  keyExchangeTimeoutMs: 10_000,
  retransmitInitialMs: 1_000,
  maxRetransmissions: 4,
  cookieRotationMs: 60_000,
  connectionId: true,
  mtu: 1200,
  resumption: true,
};

export interface DtlsStats {
  datagramsIn: number;
  malformedDatagrams: number;
  recordsDropped: number;
  replaysDropped: number;
  helloVerifyRequests: number;
  handshakesStarted: number;
  handshakesCompleted: number;
  handshakesResumed: number;
  handshakesFailed: number;
  handshakesRejected: number;
  sessionsExpired: number;
  sessionsEvicted: number;
  addressChanges: number;
}

export function emptyStats(): DtlsStats {
  return { datagramsIn: 0, malformedDatagrams: 0, recordsDropped: 0, replaysDropped: 0, helloVerifyRequests: 0, handshakesStarted: 0, handshakesCompleted: 0, handshakesResumed: 0, handshakesFailed: 0, handshakesRejected: 0, sessionsExpired: 0, sessionsEvicted: 0, addressChanges: 0 };
}
