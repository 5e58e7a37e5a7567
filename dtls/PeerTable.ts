/**
 * Where the DTLS state lives: handshakes in progress and sessions by peer address, and both by
 * connection ID (RFC 9146: records carrying our CID are routed by it, not by address). Nothing
 * enters before a cookie verified (CookieIssuer), and the socket caps both counts.
 */
import { poolRandom } from './randomPool.ts';
import { subnetOf } from './sourceSubnet.ts';
import type { ServerHandshake } from './ServerHandshake.ts';
import type { PeerAddress, Session } from './Session.ts';

/** Length of the connection IDs this server issues (RFC 9146 §3 leaves it to the issuer). */
export const CID_LENGTH = 8;

export function peerKey(address: string, port: number): string {
  return `${address}|${port}`;
}

export class PeerTable {
  private readonly handshakes = new Map<string, ServerHandshake>();
  /** Handshakes in progress per source address and per source /24 (IPv6: /64): admission limits. */
  private readonly perSource = new Map<string, number>();
  private readonly perSubnet = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly byCid = new Map<string, Session | ServerHandshake>();
  private readonly cidOf = new Map<ServerHandshake, string>();

  get handshakeCount(): number {
    return this.handshakes.size;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  handshakeAt(address: string, port: number): ServerHandshake | undefined {
    return this.handshakes.get(peerKey(address, port));
  }

  sessionAt(address: string, port: number): Session | undefined {
    return this.sessions.get(peerKey(address, port));
  }

  byConnectionId(cid: Buffer): Session | ServerHandshake | undefined {
    return this.byCid.get(cid.toString('latin1'));
  }

  /** A fresh connection ID, unique among those in use. */
  newConnectionId(): Buffer {
    for (;;) {
      const cid = poolRandom(CID_LENGTH);
      if (!this.byCid.has(cid.toString('latin1'))) return cid;
    }
  }

  /** Handshakes in progress from this source address. */
  handshakesFromAddress(address: string): number {
    return this.perSource.get(address) ?? 0;
  }

  /** Handshakes in progress from this address's /24 (IPv6: /64). */
  handshakesFromSubnet(address: string): number {
    return this.perSubnet.get(subnetOf(address)) ?? 0;
  }

  addHandshake(handshake: ServerHandshake, cid: Buffer | undefined): void {
    const key = peerKey(handshake.peer.address, handshake.peer.port);
    if (!this.handshakes.has(key)) this.countSource(handshake.peer.address, 1);
    this.handshakes.set(key, handshake);
    if (cid === undefined) return;
    this.byCid.set(cid.toString('latin1'), handshake);
    this.cidOf.set(handshake, cid.toString('latin1'));
  }

  /** Ends a handshake without a word to its peer and forgets it (replaced, socket closing). */
  dropHandshake(handshake: ServerHandshake): void {
    handshake.dispose();
    this.removeHandshake(handshake);
  }

  removeHandshake(handshake: ServerHandshake): void {
    const key = peerKey(handshake.peer.address, handshake.peer.port);
    if (this.handshakes.get(key) === handshake) {
      this.handshakes.delete(key);
      this.countSource(handshake.peer.address, -1);
    }
    const cid = this.cidOf.get(handshake);
    this.cidOf.delete(handshake);
    if (cid !== undefined && this.byCid.get(cid) === handshake) this.byCid.delete(cid);
  }

  /** Adds a session; returns the one it replaces at the same address, if any. */
  addSession(session: Session): Session | undefined {
    const key = peerKey(session.peer.address, session.peer.port);
    const previous = this.sessions.get(key);
    if (previous !== undefined) this.removeSession(previous);
    this.sessions.set(key, session);
    if (session.cid !== undefined) this.byCid.set(session.cid.toString('latin1'), session);
    return previous;
  }

  removeSession(session: Session): boolean {
    const key = peerKey(session.peer.address, session.peer.port);
    const present = this.sessions.get(key) === session;
    if (present) this.sessions.delete(key);
    if (session.cid !== undefined && this.byCid.get(session.cid.toString('latin1')) === session) this.byCid.delete(session.cid.toString('latin1'));
    return present;
  }

  /** Re-keys a session under its new address (NAT rebinding); returns a session it displaced. */
  moveSession(session: Session, peer: PeerAddress): Session | undefined {
    this.sessions.delete(peerKey(session.peer.address, session.peer.port));
    session.peer = peer;
    const key = peerKey(peer.address, peer.port);
    const displaced = this.sessions.get(key);
    if (displaced !== undefined) this.removeSession(displaced);
    this.sessions.set(key, session);
    return displaced;
  }

  /** The session to end so that `session` fits within `maxSessions`: none when it only replaces one at its address. */
  evictionFor(session: Session, maxSessions: number): Session | undefined {
    return this.sessionAt(session.peer.address, session.peer.port) === undefined && this.sessions.size >= maxSessions ? this.leastRecentlyActive() : undefined;
  }

  /** The session idle longest, to make room when the table is full. */
  private leastRecentlyActive(): Session | undefined {
    let oldest: Session | undefined;
    for (const session of this.sessions.values()) {
      if (oldest === undefined || session.lastActivity < oldest.lastActivity) oldest = session;
    }
    return oldest;
  }

  idleSessions(idleSince: number): Session[] {
    return [...this.sessions.values()].filter((session) => session.lastActivity < idleSince);
  }

  private countSource(address: string, delta: number): void {
    count(this.perSource, address, delta);
    count(this.perSubnet, subnetOf(address), delta);
  }

  allSessions(): Session[] {
    return [...this.sessions.values()];
  }

  allHandshakes(): ServerHandshake[] {
    return [...this.handshakes.values()];
  }
}

function count(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
