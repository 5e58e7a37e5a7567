/**
 * The address lookup of a datagram socket: node:dgram resolves the destination of every datagram
 * (and the address it binds) through dns.lookup, which for an IP literal validates its options and
 * answers on the next tick, a fixed cost per datagram. A device's address is always a literal (the
 * source of its datagrams), so it is answered at once; a name still goes to dns.lookup.
 */
import { lookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** For `createSocket({ lookup })`; node:dgram passes the socket's family as a number. */
export function literalFirstLookup(hostname: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else lookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}
