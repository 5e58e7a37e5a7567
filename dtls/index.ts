/**
 * DTLS 1.2 with PSK for the CoAP edge (CoAPS on 5684): `DtlsSocket` is the server, shaped like the
 * transport's DatagramSocket; `DtlsClient` a minimal client for tests, benchmarks and simulated devices.
 */
export { DtlsSocket } from './DtlsSocket.ts';
export { DtlsClient, type DtlsClientOptions } from './DtlsClient.ts';
export { DtlsAlertError, DtlsDecodeError, DtlsError, DtlsHandshakeTimeoutError, DtlsNoSessionError } from './errors.ts';
export type { DtlsPeer, DtlsSessionInfo, DtlsSocketEvents, DtlsSocketOptions, DtlsStats, PskLookup, SessionEndReason } from './types.ts';
