/**
 * A DTLS 1.2 PSK server socket (RFC 6347, RFC 4279, RFC 6655, RFC 9146) with the shape of the
 * transport's `DatagramSocket`: CoapTransport reads decrypted datagrams from it and sends
 * plaintext through it, unaware of DTLS. Built on node:dgram and node:crypto only.
 *
 * Every datagram enters in `receive`: records are routed by connection ID when they carry one,
 * otherwise by source address. A ClientHello without a valid cookie gets a HelloVerifyRequest and
 * leaves no trace; state exists only from a verified cookie on, bounded by `maxHandshakes` and
 * `maxSessions`. Forged, replayed and malformed records are dropped silently (§4.1.2.7) and
 * counted in `stats`. Keys are never logged nor put in errors.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { admitClientHello } from './clientHelloAdmission.ts';
import { AlertDescription, AlertLevel, ContentType, MAX_PLAINTEXT_LENGTH } from './constants.ts';
import { CookieIssuer } from './CookieIssuer.ts';
import { DtlsError, DtlsHandshakeTimeoutError, DtlsNoSessionError } from './errors.ts';
import { expiredHandshakes } from './handshakeExpiry.ts';
import { planHandshake } from './handshakePlan.ts';
import { CID_LENGTH, PeerTable } from './PeerTable.ts';
import { parseRecords, type DtlsRecord } from './record.ts';
import { routeRecord } from './recordRouting.ts';
import { ResumptionCache } from './ResumptionCache.ts';
import { ServerHandshake, type ServerHandshakeEvents } from './ServerHandshake.ts';
import type { PeerAddress, Session } from './Session.ts';
import { DTLS_SOCKET_DEFAULTS, emptyStats, type DtlsPeer, type DtlsSessionInfo, type DtlsSocketEvents, type DtlsSocketOptions, type DtlsStats, type SessionEndReason } from './types.ts';

export type { DtlsPeer, DtlsSessionInfo, DtlsSocketEvents, DtlsSocketOptions, DtlsStats, SessionEndReason } from './types.ts';

export class DtlsSocket extends EventEmitter<DtlsSocketEvents> {
  readonly stats: DtlsStats = emptyStats();
  private readonly settings: Required<DtlsSocketOptions>;
  private readonly cookies: CookieIssuer;
  private readonly table = new PeerTable();
  private readonly resumable: ResumptionCache;
  private udp: Socket | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Every handshake reports here, naming itself: no closures per handshake. */
  private readonly handshakeEvents: ServerHandshakeEvents = {
    send: (datagrams, to) => this.sendTo(datagrams, to),
    established: (handshake, session, masterSecret) => this.established(handshake, session, masterSecret),
    failed: (handshake, error) => this.handshakeFailed(handshake, error),
  };
  /** One callback for every datagram sent: a send error reaches the 'error' listeners. */
  private readonly sendError = (error: Error | null): void => {
    if (error !== null && this.listenerCount('error') > 0) this.emit('error', error);
  };

  constructor(options: DtlsSocketOptions) {
    super();
    this.settings = { ...DTLS_SOCKET_DEFAULTS, ...options };
    if (this.settings.mtu < 64) throw new DtlsError(`mtu ${this.settings.mtu} is below 64 bytes`);
    this.cookies = new CookieIssuer(this.settings.cookieRotationMs);
    this.resumable = new ResumptionCache(this.settings.resumption ? this.settings.maxSessions : 0, this.settings.sessionIdleTimeoutMs);
  }

  get sessionCount(): number {
    return this.table.sessionCount;
  }

  get handshakeCount(): number {
    return this.table.handshakeCount;
  }

  /** The established session with this peer address, e.g. to learn which device sent a datagram. */
  sessionFor(address: string, port: number): DtlsSessionInfo | undefined {
    const session = this.table.sessionAt(address, port);
    return session?.info();
  }

  /**
   * Ends every session of a device and forgets its resumable sessions: call it when the device's
   * PSK changes or is revoked, so nothing established with the old key lives on.
   */
  revoke(identity: string): void {
    const id = Buffer.from(identity, 'utf8');
    this.resumable.forget(id);
    for (const session of this.table.allSessions()) if (session.identity.equals(id)) this.closeSession(session, 'revoked');
  }

  /** Ends every session and forgets every resumable one, when revocations may have been missed. */
  revokeAll(): void {
    this.resumable.clear();
    for (const session of this.table.allSessions()) this.closeSession(session, 'revoked');
  }

  bind(port: number, address: string, callback: () => void): this {
    const udp = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    this.udp = udp;
    udp.on('message', (datagram, remote) => this.receive(datagram, remote));
    udp.on('error', (error) => this.emit('error', error));
    udp.bind(port, address, () => {
      const sweepEvery = Math.max(50, Math.min(10_000, this.settings.sessionIdleTimeoutMs / 2, this.settings.handshakeTimeoutMs / 2, this.settings.keyExchangeTimeoutMs / 2));
      this.sweepTimer = setInterval(() => this.sweep(), sweepEvery).unref();
      callback();
    });
    return this;
  }

  address(): { address: string; family: string; port: number } {
    if (this.udp === undefined) throw new DtlsError('the socket is not bound');
    return this.udp.address();
  }

  /** Encrypts `buffer[offset, offset + length)` for the session of this peer and sends it; without a callback a failure of the UDP send itself goes unreported, as with dgram. */
  send(buffer: Buffer, offset: number, length: number, port: number, address: string, callback?: (error: Error | null) => void): void {
    const session = this.table.sessionAt(address, port);
    const udp = this.udp;
    if (session === undefined || udp === undefined) return this.sendFailed(new DtlsNoSessionError(`no DTLS session with ${address}:${port}`), callback);
    if (length > MAX_PLAINTEXT_LENGTH) return this.sendFailed(new DtlsError(`${length} bytes exceed a DTLS record`), callback);
    let record: Buffer;
    try {
      record = session.seal(ContentType.ApplicationData, buffer.subarray(offset, offset + length));
    } catch (error) {
      this.endSession(session, 'sequence exhausted');
      return this.sendFailed(error instanceof Error ? error : new DtlsError(String(error)), callback);
    }
    if (callback === undefined) udp.send(record, session.peer.port, session.peer.address);
    else udp.send(record, session.peer.port, session.peer.address, (error) => callback(error ?? null));
  }

  /** A send that never reached the socket: its callback hears it, or else the 'error' listeners. */
  private sendFailed(error: Error, callback: ((error: Error | null) => void) | undefined): void {
    if (callback !== undefined) process.nextTick(callback, error);
    else if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Says close_notify to every session (RFC 5246 §7.2.1), then closes the UDP socket. */
  close(callback?: () => void): this {
    clearInterval(this.sweepTimer);
    this.resumable.clear();
    const udp = this.udp;
    this.udp = undefined;
    for (const handshake of this.table.allHandshakes()) this.table.dropHandshake(handshake);
    const sessions = this.table.allSessions();
    let pending = sessions.length + 1;
    const done = (): void => {
      if (--pending > 0) return;
      if (udp === undefined) callback?.();
      else udp.close(callback);
    };
    for (const session of sessions) {
      this.table.removeSession(session);
      const alert = session.closeNotify();
      if (alert === undefined || udp === undefined) done();
      else udp.send(alert, session.peer.port, session.peer.address, done);
    }
    done();
    return this;
  }

  private receive(datagram: Buffer, remote: RemoteInfo): void {
    this.stats.datagramsIn++;
    const { records, malformed } = parseRecords(datagram, CID_LENGTH);
    if (malformed) this.stats.malformedDatagrams++;
    for (const record of records) this.route(record, remote);
  }

  private route(record: DtlsRecord, remote: RemoteInfo): void {
    const route = routeRecord(record, remote, this.table);
    switch (route.kind) {
      case 'session':
        return this.sessionRecord(route.session, record, remote);
      case 'handshake':
        return route.handshake.receive(record);
      case 'clientHello':
        return this.clientHello(record, remote);
      case 'drop':
        this.stats.recordsDropped++;
    }
  }

  private clientHello(record: DtlsRecord, remote: RemoteInfo): void {
    const admission = admitClientHello(record, remote, this.cookies, this.settings.connectionId);
    const peer: PeerAddress = { address: remote.address, port: remote.port, family: remote.family };
    switch (admission.kind) {
      case 'malformed':
        this.stats.recordsDropped++;
        return;
      case 'verifyFirst':
        this.stats.helloVerifyRequests++;
        this.sendTo([admission.datagram], peer);
        return;
      case 'refused':
        this.stats.handshakesFailed++;
        this.sendTo([admission.datagram], peer);
        this.emit('handshakeFailure', admission.error, peer);
        return;
      case 'admitted':
        break;
    }
    const plan = planHandshake(admission, remote.address, this.table.handshakeAt(remote.address, remote.port), this.table, this.resumable, this.settings);
    if (plan.kind === 'resendFlight') return plan.handshake.resendFlight();
    if (plan.kind === 'noSlot') {
      this.stats.handshakesRejected++;
      return;
    }
    if (plan.replacing !== undefined) this.table.dropHandshake(plan.replacing);
    const handshake = new ServerHandshake(
      this.settings,
      { peer, hello: admission.hello, helloMessage: admission.helloMessage, helloRecordSequence: record.sequenceNumber, negotiated: admission.negotiated, cid: plan.cid, sessionId: plan.sessionId, resuming: plan.resuming },
      this.handshakeEvents,
    );
    this.table.addHandshake(handshake, plan.cid);
    this.stats.handshakesStarted++;
    handshake.start();
  }

  private established(handshake: ServerHandshake, session: Session, masterSecret: Buffer): void {
    this.table.removeHandshake(handshake);
    if (!session.resumed && session.sessionId.length > 0) this.resumable.remember(session.sessionId, { identity: session.identity, masterSecret, extendedMasterSecret: session.extendedMasterSecret });
    else masterSecret.fill(0);
    const oldest = this.table.evictionFor(session, this.settings.maxSessions);
    if (oldest !== undefined) {
      this.stats.sessionsEvicted++;
      this.endSession(oldest, 'evicted');
    }
    const replaced = this.table.addSession(session);
    if (replaced !== undefined) this.emit('sessionEnd', replaced.info(), 'replaced');
    this.stats.handshakesCompleted++;
    if (session.resumed) this.stats.handshakesResumed++;
    if (this.listenerCount('session') > 0) this.emit('session', session.info());
  }

  private handshakeFailed(handshake: ServerHandshake, error: DtlsError): void {
    this.table.removeHandshake(handshake);
    this.stats.handshakesFailed++;
    this.emit('handshakeFailure', error, { address: handshake.peer.address, port: handshake.peer.port });
  }

  private sessionRecord(session: Session, record: DtlsRecord, remote: RemoteInfo): void {
    const outcome = session.open(record);
    if (outcome.kind !== 'opened') {
      if (outcome.kind === 'replayed') this.stats.replaysDropped++;
      else this.stats.recordsDropped++;
      return;
    }
    // RFC 9146 §6: only an authenticated record newer than all before it may move the peer.
    if ((session.peer.address !== remote.address || session.peer.port !== remote.port) && outcome.newest && session.cid !== undefined) {
      const previous = { address: session.peer.address, port: session.peer.port };
      const displaced = this.table.moveSession(session, { address: remote.address, port: remote.port, family: remote.family });
      if (displaced !== undefined) this.emit('sessionEnd', displaced.info(), 'replaced');
      this.stats.addressChanges++;
      this.emit('addressChange', session.info(), previous);
    }
    const { type, content } = outcome.record;
    if (type === ContentType.ApplicationData) {
      session.finalFlight = undefined; // the client has our Finished
      this.emit('message', content, { address: session.peer.address, family: session.peer.family === 'IPv6' ? 'IPv6' : 'IPv4', port: session.peer.port, size: content.length });
    } else if (type === ContentType.Alert) {
      this.sessionAlert(session, content);
    } else if (type === ContentType.Handshake && session.finalFlight !== undefined) {
      // The client repeats its Finished: our ChangeCipherSpec/Finished flight was lost (§4.2.4).
      this.sendTo(session.writer.writeFlight(session.finalFlight, this.settings.mtu), session.peer);
    }
  }

  private sessionAlert(session: Session, content: Buffer): void {
    const level = content[0];
    const description = content[1];
    if (content.length !== 2 || description === undefined) return;
    if (description === AlertDescription.CloseNotify) {
      // RFC 5246 §7.2.1: answer close_notify with close_notify.
      this.closeSession(session, 'closed by peer');
    } else if (level === AlertLevel.Fatal) {
      this.resumable.forgetSession(session.sessionId); // RFC 5246 §7.2.2: never resume after a fatal alert
      this.endSession(session, 'fatal alert');
    }
  }

  /** Says close_notify (RFC 5246 §7.2.1), so the peer knows to handshake again, and ends the session. */
  private closeSession(session: Session, reason: SessionEndReason): void {
    const alert = session.closeNotify();
    if (alert !== undefined) this.sendTo([alert], session.peer);
    this.endSession(session, reason);
  }

  private endSession(session: Session, reason: SessionEndReason): void {
    if (this.table.removeSession(session) && this.listenerCount('sessionEnd') > 0) this.emit('sessionEnd', session.info(), reason);
  }

  private sweep(): void {
    const now = Date.now();
    for (const { handshake, why } of expiredHandshakes(this.table.allHandshakes(), now, this.settings)) {
      handshake.dispose();
      this.handshakeFailed(handshake, new DtlsHandshakeTimeoutError(`handshake with ${handshake.peer.address}:${handshake.peer.port}: ${why}`));
    }
    for (const session of this.table.idleSessions(now - this.settings.sessionIdleTimeoutMs)) {
      this.stats.sessionsExpired++;
      this.endSession(session, 'idle');
    }
    this.resumable.sweep();
  }

  private sendTo(datagrams: readonly Buffer[], peer: DtlsPeer): void {
    for (const datagram of datagrams) this.udp?.send(datagram, peer.port, peer.address, this.sendError);
  }
}

