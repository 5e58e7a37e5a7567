/**
 * The server side of one handshake (RFC 6347 §4.2, RFC 4279 §2), from a ClientHello whose cookie
 * verified to the last Finished. A full PSK handshake:
 *
 *   ClientHello(cookie)  ->
 *                        <-  ServerHello, ServerHelloDone          (flight 4, retransmitted on timeout)
 *   ClientKeyExchange, ChangeCipherSpec, Finished  ->
 *                        <-  ChangeCipherSpec, Finished           (kept by the session, resent on demand)
 *
 * or, resuming a cached session by its ID (RFC 5246 §7.3, the abbreviated handshake):
 *
 *   ClientHello(cookie, session_id)  ->
 *                        <-  ServerHello, ChangeCipherSpec, Finished   (retransmitted on timeout)
 *   ChangeCipherSpec, Finished  ->
 *
 * The PSK lookup is asynchronous: records arriving meanwhile wait in a small bounded buffer.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AlertDescription, AlertLevel, ContentType, DTLS_1_2, HANDSHAKE_HEADER_LENGTH, HandshakeType } from './constants.ts';
import { alertName, DtlsAlertError, DtlsError, DtlsHandshakeTimeoutError } from './errors.ts';
import { FlightSender, type FlightOwner, type FlightSettings } from './FlightSender.ts';
import { encodeHandshake, fragmentHandshake, parseHandshakeFragments } from './handshakeFraming.ts';
import { HandshakeReassembler, type HandshakeMessage } from './HandshakeReassembler.ts';
import { encodeServerHello, parsePskClientKeyExchange, type ClientHello } from './helloMessages.ts';
import { serverHelloExtensions, type Negotiated } from './negotiation.ts';
import { expandKeys, finishedVerifyData, masterSecret, pskPremasterSecret, type KeyBlock } from './prf.ts';
import { Transcript } from './Transcript.ts';
import { openRecord, type DtlsRecord } from './record.ts';
import { poolRandom } from './randomPool.ts';
import { RecordWriter, type FlightEntry } from './RecordWriter.ts';
import { ReplayWindow } from './ReplayWindow.ts';
import type { ResumableSession } from './ResumptionCache.ts';
import { Session, type PeerAddress } from './Session.ts';

/** Finds the PSK of a device by its identity; undefined for an unknown identity. */
export type PskLookup = (identity: Buffer) => Promise<Buffer | undefined>;

/** What every handshake of a socket shares: one object, not copied per handshake. */
export interface HandshakeSettings extends FlightSettings {
  readonly pskLookup: PskLookup;
}

/** What this handshake starts from: the admitted ClientHello and the plan for it. */
export interface HandshakeStart {
  readonly peer: PeerAddress;
  readonly hello: ClientHello;
  /** The verified ClientHello, the first message of the transcript (RFC 6347 §4.2.6). */
  readonly helloMessage: HandshakeMessage;
  readonly helloRecordSequence: number;
  readonly negotiated: Negotiated;
  /** The CID this server issues, when the client offered RFC 9146. */
  readonly cid: Buffer | undefined;
  /** The session ID for the ServerHello: the resumed one, a new one, or empty (not resumable). */
  readonly sessionId: Buffer;
  /** The cached session this ClientHello resumes, if any. */
  readonly resuming: ResumableSession | undefined;
}

/** The socket's side of every handshake: one object for all of them, each call naming the handshake. */
export interface ServerHandshakeEvents {
  send(datagrams: readonly Buffer[], peer: PeerAddress): void;
  /** `masterSecret` is handed over for the resumption cache; the handshake keeps no copy. */
  established(handshake: ServerHandshake, session: Session, masterSecret: Buffer): void;
  failed(handshake: ServerHandshake, error: DtlsError): void;
}

type State = 'awaitKeyExchange' | 'lookingUp' | 'awaitFinished' | 'awaitResumedFinished' | 'ended';

/** Records that may arrive while the PSK lookup runs, or ahead of the ClientKeyExchange. */
const MAX_BUFFERED_RECORDS = 8;

export class ServerHandshake implements FlightOwner {
  readonly peer: PeerAddress;
  readonly clientRandom: Buffer;
  readonly startedAt = Date.now();
  private state: State = 'awaitKeyExchange';
  private readonly serverRandom = poolRandom(32);
  private readonly transcript = new Transcript();
  private readonly writer: RecordWriter;
  private readonly flights: FlightSender;
  private readonly reassembler: HandshakeReassembler;
  private readonly epoch0Window = new ReplayWindow();
  private readonly epoch1Window = new ReplayWindow();
  private readonly buffered: DtlsRecord[] = [];
  /** The identity named in the ClientKeyExchange has no key: told to the logs, never to the peer. */
  private unknownIdentity = false;
  private readonly firstFlight: FlightEntry[];
  private nextMessageSeq: number;
  private identity: Buffer | undefined;
  private master: Buffer | undefined;
  private keys: KeyBlock | undefined;

  constructor(
    private readonly settings: HandshakeSettings,
    private readonly options: HandshakeStart,
    private readonly events: ServerHandshakeEvents,
  ) {
    this.peer = options.peer;
    this.clientRandom = Buffer.from(options.hello.random);
    // The stateless exchange: our records continue from the ClientHello's record number, our
    // message_seq from its message_seq (RFC 6347 §4.2.1, §4.2.2), as OpenSSL clients expect.
    this.writer = new RecordWriter(options.helloRecordSequence);
    this.flights = new FlightSender(this.writer, settings, this);
    this.nextMessageSeq = options.helloMessage.messageSeq;
    this.reassembler = new HandshakeReassembler(options.helloMessage.messageSeq + 1);
    this.epoch0Window.mark(options.helloRecordSequence);
    this.transcript.add(options.helloMessage.encoded);
    const serverHello = encodeServerHello({
      version: DTLS_1_2,
      random: this.serverRandom,
      sessionId: options.sessionId,
      cipherSuite: options.negotiated.cipherSuite,
      extensions: serverHelloExtensions(options.negotiated, options.cid),
    });
    const hello = this.message(HandshakeType.ServerHello, serverHello, 0);
    const resuming = options.resuming;
    if (resuming === undefined) {
      this.firstFlight = [...hello, ...this.message(HandshakeType.ServerHelloDone, Buffer.alloc(0), 0)];
      return;
    }
    // RFC 5246 §7.3: new keys from the cached master secret and the new randoms; we finish first.
    this.identity = Buffer.from(resuming.identity);
    this.master = Buffer.from(resuming.masterSecret);
    this.keys = expandKeys(this.master, this.clientRandom, this.serverRandom);
    this.writer.activate({ key: this.keys.serverWriteKey, salt: this.keys.serverWriteIv }, options.negotiated.peerCid);
    const verifyData = finishedVerifyData(this.master, 'server', this.transcript.digest());
    this.firstFlight = [...hello, { type: ContentType.ChangeCipherSpec, epoch: 0, content: Buffer.from([1]) }, ...this.message(HandshakeType.Finished, verifyData, 1)];
    this.state = 'awaitResumedFinished';
  }

  /** Sends our first flight and retransmits it until the client answers (RFC 6347 §4.2.4). */
  start(): void {
    this.flights.send(this.firstFlight, true);
  }

  /** The client repeated its ClientHello: our first flight was lost (§4.2.4). */
  resendFlight(): void {
    if (this.state === 'awaitKeyExchange' || this.state === 'awaitResumedFinished') this.flights.resend();
  }

  receive(record: DtlsRecord): void {
    if (this.state === 'ended') return;
    if (this.state === 'lookingUp' || (record.epoch === 1 && this.keys === undefined)) {
      if (this.buffered.length < MAX_BUFFERED_RECORDS) this.buffered.push(record);
      return;
    }
    try {
      this.process(record);
    } catch (error) {
      this.fail(error instanceof DtlsError ? error : new DtlsAlertError(AlertDescription.InternalError, false, 'handshake failed', { cause: error }));
    }
  }

  /** Still waiting for the client's ClientKeyExchange (after the cookie exchange and our flight). */
  get awaitingKeyExchange(): boolean {
    return this.state === 'awaitKeyExchange';
  }

  /** FlightOwner: our flight's datagrams go to the peer. */
  transmitFlight(datagrams: readonly Buffer[]): void {
    this.events.send(datagrams, this.peer);
  }

  /** FlightOwner: the client never answered our flight. */
  flightUnanswered(retransmissions: number): void {
    this.fail(new DtlsHandshakeTimeoutError(`no answer to our flight after ${retransmissions} retransmissions`));
  }

  /** Ends the handshake without a word to the peer (replaced, expired, socket closing). */
  dispose(): void {
    this.state = 'ended';
    this.flights.stop();
  }

  private process(record: DtlsRecord): void {
    let type: number;
    let content: Buffer;
    if (record.epoch === 0 && record.type !== ContentType.Tls12Cid) {
      if (!this.epoch0Window.isFresh(record.sequenceNumber)) return;
      this.epoch0Window.mark(record.sequenceNumber);
      type = record.type;
      content = record.fragment;
    } else if (record.epoch === 1 && this.keys !== undefined) {
      if (!this.epoch1Window.isFresh(record.sequenceNumber)) return;
      const opened = openRecord({ key: this.keys.clientWriteKey, salt: this.keys.clientWriteIv }, record);
      // With a wrong PSK the client's keys differ and its Finished cannot authenticate (RFC 4279 §2).
      if (opened === undefined) throw new DtlsAlertError(AlertDescription.DecryptError, false, this.unknownIdentity ? `unknown PSK identity ${this.identityForLogs()}` : 'the client Finished does not authenticate (wrong PSK?)');
      this.epoch1Window.mark(record.sequenceNumber);
      type = opened.type;
      content = opened.content;
    } else {
      return;
    }
    if (type === ContentType.Handshake) this.handshakeContent(content, record.epoch);
    else if (type === ContentType.Alert) this.alert(content);
    // ChangeCipherSpec (RFC 5246 §7.1) only announces epoch 1; the Finished that follows is checked.
  }

  private handshakeContent(content: Buffer, epoch: number): void {
    for (const fragment of parseHandshakeFragments(content)) {
      const complete = this.reassembler.add(fragment);
      // A repeated ClientHello is answered by resendFlight(); other repeats need nothing from us.
      if (complete === 'retransmission') continue;
      for (const message of complete) this.handshakeMessage(message, epoch);
    }
  }

  private handshakeMessage(message: HandshakeMessage, epoch: number): void {
    if (this.state === 'awaitKeyExchange' && epoch === 0 && message.msgType === HandshakeType.ClientKeyExchange) {
      this.flights.stop(); // the client's next flight is here (§4.2.4)
      this.identity = Buffer.from(parsePskClientKeyExchange(message.body));
      this.transcript.add(message.encoded);
      // RFC 7627 §3: session_hash covers the messages up to and including ClientKeyExchange.
      const sessionHash = this.options.negotiated.extendedMasterSecret ? this.transcript.digest() : undefined;
      this.state = 'lookingUp';
      // The records buffered during the lookup are processed after it: a failure there ends this handshake.
      this.lookUp(this.identity, sessionHash).catch((error: unknown) => {
        this.fail(error instanceof DtlsError ? error : new DtlsAlertError(AlertDescription.InternalError, false, 'handshake failed', { cause: error }));
      });
      return;
    }
    if ((this.state === 'awaitFinished' || this.state === 'awaitResumedFinished') && epoch === 1 && message.msgType === HandshakeType.Finished) {
      this.finish(message);
      return;
    }
    throw new DtlsAlertError(AlertDescription.UnexpectedMessage, false, `unexpected handshake message ${message.msgType} in state ${this.state}`);
  }

  private async lookUp(identity: Buffer, sessionHash: Buffer | undefined): Promise<void> {
    let psk: Buffer | undefined;
    try {
      psk = await this.settings.pskLookup(identity);
    } catch (error) {
      this.fail(new DtlsAlertError(AlertDescription.InternalError, false, 'the PSK lookup failed', { cause: error }));
      return;
    }
    if (this.state !== 'lookingUp') return;
    if (psk === undefined) {
      // RFC 4279 §2: go on as if the identity existed with another key, so the client's Finished
      // fails with decrypt_error exactly as for a wrong key: a stranger learns no identity.
      this.unknownIdentity = true;
      psk = randomBytes(32);
    }
    const premaster = pskPremasterSecret(psk);
    this.master = masterSecret(premaster, this.clientRandom, this.serverRandom, sessionHash);
    premaster.fill(0);
    this.keys = expandKeys(this.master, this.clientRandom, this.serverRandom);
    this.state = 'awaitFinished';
    for (const record of this.buffered.splice(0)) this.receive(record);
  }

  private identityForLogs(): string {
    return JSON.stringify(this.identity?.toString('utf8').slice(0, 64) ?? '');
  }

  /** Checks the client's Finished; a full handshake then sends ours, the last flight. */
  private finish(message: HandshakeMessage): void {
    const { master, keys, identity } = this;
    if (master === undefined || keys === undefined || identity === undefined) throw new DtlsError('Finished before the key exchange');
    const expected = finishedVerifyData(master, 'client', this.transcript.digest());
    if (message.body.length !== expected.length || !timingSafeEqual(message.body, expected)) {
      throw new DtlsAlertError(AlertDescription.DecryptError, false, 'the client Finished has the wrong verify_data');
    }
    const resumed = this.state === 'awaitResumedFinished';
    this.state = 'ended';
    this.flights.stop();
    let finalFlight: FlightEntry[] | undefined;
    if (!resumed) {
      this.transcript.add(message.encoded);
      const verifyData = finishedVerifyData(master, 'server', this.transcript.digest());
      this.writer.activate({ key: keys.serverWriteKey, salt: keys.serverWriteIv }, this.options.negotiated.peerCid);
      finalFlight = [{ type: ContentType.ChangeCipherSpec, epoch: 0, content: Buffer.from([1]) }, ...this.message(HandshakeType.Finished, verifyData, 1)];
      this.events.send(this.writer.writeFlight(finalFlight, this.settings.mtu), this.peer);
    }
    this.master = undefined;
    const session = new Session({
      identity,
      peer: this.peer,
      cid: this.options.negotiated.peerCid === undefined ? undefined : this.options.cid,
      sessionId: this.options.sessionId,
      resumed,
      writer: this.writer,
      readKeys: { key: keys.clientWriteKey, salt: keys.clientWriteIv },
      window: this.epoch1Window,
      finalFlight,
      extendedMasterSecret: this.options.negotiated.extendedMasterSecret,
    });
    this.events.established(this, session, master);
  }

  private alert(content: Buffer): void {
    if (content.length !== 2) return;
    const level = content.readUInt8(0);
    const description = content.readUInt8(1);
    if (level === AlertLevel.Fatal || description === AlertDescription.CloseNotify) {
      this.fail(new DtlsAlertError(description as AlertDescription, true, `the client sent ${alertName(description)}`));
    }
  }

  private fail(error: DtlsError): void {
    if (this.state === 'ended') return;
    this.dispose();
    this.master?.fill(0);
    // Until the handshake completes our write epoch is 0: the alert goes in plaintext.
    if (error instanceof DtlsAlertError && !error.sentByPeer) {
      this.events.send([this.writer.write(ContentType.Alert, 0, Buffer.from([AlertLevel.Fatal, error.description]))], this.peer);
    }
    this.events.failed(this, error);
  }

  /** A whole handshake message into the transcript, fragmented to fit the MTU (§4.2.3). */
  private message(msgType: number, body: Buffer, epoch: 0 | 1): FlightEntry[] {
    const message = encodeHandshake(msgType, this.nextMessageSeq++, body);
    this.transcript.add(message);
    const maxFragmentBody = Math.max(16, this.settings.mtu - this.writer.overhead(epoch) - HANDSHAKE_HEADER_LENGTH);
    return fragmentHandshake(message, maxFragmentBody).map((content) => ({ type: ContentType.Handshake, epoch, content }));
  }
}
