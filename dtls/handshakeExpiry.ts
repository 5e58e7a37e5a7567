/**
 * Which handshakes in progress are dropped at a sweep, and why: any not finished within
 * `handshakeTimeoutMs`, and sooner one whose client passed the cookie exchange but sent no
 * ClientKeyExchange within `keyExchangeTimeoutMs` (it holds an admission slot while silent).
 */
import type { ServerHandshake } from './ServerHandshake.ts';
import type { DtlsSocketOptions } from './types.ts';

type ExpiryLimits = Required<Pick<DtlsSocketOptions, 'handshakeTimeoutMs' | 'keyExchangeTimeoutMs'>>;

export interface ExpiredHandshake {
  readonly handshake: ServerHandshake;
  /** For the DtlsHandshakeTimeoutError: "no ClientKeyExchange in 10000 ms". */
  readonly why: string;
}

export function expiredHandshakes(handshakes: Iterable<ServerHandshake>, now: number, limits: ExpiryLimits): ExpiredHandshake[] {
  const expired: ExpiredHandshake[] = [];
  for (const handshake of handshakes) {
    if (handshake.startedAt < now - limits.handshakeTimeoutMs) expired.push({ handshake, why: `not finished in ${limits.handshakeTimeoutMs} ms` });
    else if (handshake.awaitingKeyExchange && handshake.startedAt < now - limits.keyExchangeTimeoutMs) expired.push({ handshake, why: `no ClientKeyExchange in ${limits.keyExchangeTimeoutMs} ms` });
  }
  return expired;
}
