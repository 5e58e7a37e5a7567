/**
 * What the transport remembers per peer address, and forgetting it all at once. With NoSec a
 * device is only an address and port (RFC 7252 §9: no security); when another endpoint registers
 * from that address, whatever was kept for the previous one (observations, cached replies) belongs
 * to no one the edge knows.
 */
import type { Peer } from './CoapTransport.ts';

export function peerKey(peer: Pick<Peer, 'address' | 'port'>): string {
  return `${peer.address}:${peer.port}`;
}

/** Items kept per peer (the end of each observation made to it). */
export class PeerIndex<T> {
  private readonly byPeer = new Map<string, Set<T>>();

  add(peer: Peer, item: T): void {
    const key = peerKey(peer);
    const items = this.byPeer.get(key);
    if (items === undefined) this.byPeer.set(key, new Set([item]));
    else items.add(item);
  }

  remove(peer: Peer, item: T): void {
    const key = peerKey(peer);
    const items = this.byPeer.get(key);
    items?.delete(item);
    if (items?.size === 0) this.byPeer.delete(key);
  }

  /** The peer's items, forgotten here. */
  take(peer: Peer): T[] {
    const key = peerKey(peer);
    const items = [...(this.byPeer.get(key) ?? [])];
    this.byPeer.delete(key);
    return items;
  }
}

/**
 * Drops the replies cached for a peer's message ids (RFC 7252 §4.5 deduplication), except those
 * still being handled: a new process on that port reusing a message id gets a fresh answer, not
 * the reply meant for the previous one. Keys are "address:port:messageId".
 */
export function forgetCachedReplies(exchanges: Map<string, { readonly reply: Buffer | 'pending' }>, peer: Peer): number {
  const prefix = `${peerKey(peer)}:`;
  let forgotten = 0;
  for (const [key, entry] of exchanges) {
    if (entry.reply !== 'pending' && key.startsWith(prefix)) {
      exchanges.delete(key);
      forgotten++;
    }
  }
  return forgotten;
}
