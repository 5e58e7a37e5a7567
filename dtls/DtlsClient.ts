/**
 * A minimal DTLS 1.2 PSK client (TLS_PSK_WITH_AES_128_CCM_8, optional RFC 9146 connection ID)
 * built from the same record and handshake code as the server. It exists for tests, the
 * benchmark and simulated devices: clients in the field are libcoap, tinydtls, mbedTLS.
 */
import { timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { AlertDescription, AlertLevel, ContentType, DTLS_1_2, ExtensionType, HandshakeType, TLS_PSK_WITH_AES_128_CCM_8 } from './constants.ts';
import { alertName, DtlsAlertError, DtlsError, DtlsHandshakeTimeoutError } from './errors.ts';
import { encodeHandshake, parseHandshakeFragments } from './handshakeFraming.ts';
import { HandshakeReassembler, type HandshakeMessage } from './HandshakeReassembler.ts';
import { encodeClientHello, encodeConnectionIdExtension, encodePskClientKeyExchange, parseConnectionIdExtension, parseHelloVerifyRequest, parseServerHello } from './helloMessages.ts';
import { expandKeys, finishedVerifyData, masterSecret, pskPremasterSecret } from './prf.ts';
import { Transcript } from './Transcript.ts';
import { openRecord, parseRecords, type DtlsRecord } from './record.ts';
import { RecordWriter, type FlightEntry } from './RecordWriter.ts';
import { poolRandom } from './randomPool.ts';
import { ReplayWindow } from './ReplayWindow.ts';
import type { DirectionKeys } from './ccm.ts';

export interface DtlsClientOptions {
  readonly address: string;
  readonly port: number;
  readonly identity: string;
  readonly psk: Buffer;
  /** Offer RFC 9146 with this CID for the server to use (empty: "use one towards you only"). */
  readonly connectionId?: Buffer;
  /** @default true */
  readonly extendedMasterSecret?: boolean;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** @default 1_000 */
  readonly retransmitMs?: number;
  /** @default 1200 */
  readonly mtu?: number;
}

export type DtlsClientEvents = { message: [data: Buffer]; close: [error: Error | undefined] };

export class DtlsClient extends EventEmitter<DtlsClientEvents> {
  /** The CID the server issued (we put it in our records), if any. */
  serverCid: Buffer | undefined;
  extendedMasterSecret = false;
  private udp: Socket;
  private readonly writer = new RecordWriter();
  private readonly window = new ReplayWindow();
  private readKeys: DirectionKeys | undefined;
  private readonly reassembler = new HandshakeReassembler(0);
  private readonly inbox: HandshakeMessage[] = [];
  /** Resolves the pending wait for a message, and its timer. */
  private wake: (() => void) | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: Error | undefined;
  private messageSeq = 0;

  private constructor(private readonly options: DtlsClientOptions) {
    super();
    this.udp = this.openSocket();
  }

  /** Runs a full handshake (with the cookie exchange) and resolves once both Finished verified. */
  static async connect(options: DtlsClientOptions): Promise<DtlsClient> {
    const client = new DtlsClient(options);
    await new Promise<void>((resolve) => client.udp.bind(0, resolve));
    try {
      await client.handshake();
    } catch (error) {
      client.udp.close();
      client.closed = true;
      throw error;
    }
    return client;
  }

  get localPort(): number {
    return this.udp.address().port;
  }

  send(data: Buffer): Promise<void> {
    return this.transmit([this.seal(data)]);
  }

  /** Seals application data into a record without sending it (tests replay and tampering with it). */
  seal(data: Buffer): Buffer {
    return this.writer.write(ContentType.ApplicationData, 1, data);
  }

  /** Sends raw bytes as they are: for tests of replayed, tampered or malformed records. */
  sendRaw(datagram: Buffer): Promise<void> {
    return this.transmit([datagram]);
  }

  /** Continues the session from a new local port, as after a NAT rebinding (RFC 9146 §1). */
  async rebind(): Promise<void> {
    const old = this.udp;
    this.udp = this.openSocket();
    await new Promise<void>((resolve) => this.udp.bind(0, resolve));
    old.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.transmit([this.writer.write(ContentType.Alert, 1, Buffer.from([AlertLevel.Warning, AlertDescription.CloseNotify]))]).catch(() => undefined);
    this.closed = true;
    this.udp.close();
  }

  private openSocket(): Socket {
    const udp = createSocket('udp4');
    udp.on('message', (datagram) => this.receive(datagram));
    udp.on('error', (error) => this.fail(error));
    return udp;
  }

  private async handshake(): Promise<void> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 10_000);
    const random = poolRandom(32);
    const first = encodeHandshake(HandshakeType.ClientHello, this.messageSeq++, this.helloBody(random, Buffer.alloc(0)));
    let reply = await this.exchange([this.entry(first, 0)], deadline);
    const transcript = new Transcript();
    let clientHello = first;
    if (reply.msgType === HandshakeType.HelloVerifyRequest) {
      // RFC 6347 §4.2.1: repeat the ClientHello with the cookie; the transcript starts here.
      clientHello = encodeHandshake(HandshakeType.ClientHello, this.messageSeq++, this.helloBody(random, parseHelloVerifyRequest(reply.body).cookie));
      reply = await this.exchange([this.entry(clientHello, 0)], deadline);
    }
    transcript.add(clientHello);
    if (reply.msgType !== HandshakeType.ServerHello) throw new DtlsAlertError(AlertDescription.UnexpectedMessage, false, `expected ServerHello, got ${reply.msgType}`);
    const serverHello = parseServerHello(reply.body);
    if (serverHello.cipherSuite !== TLS_PSK_WITH_AES_128_CCM_8) throw new DtlsAlertError(AlertDescription.IllegalParameter, false, 'server chose another suite');
    this.extendedMasterSecret = serverHello.extensions.has(ExtensionType.ExtendedMasterSecret);
    const cidExtension = serverHello.extensions.get(ExtensionType.ConnectionId);
    this.serverCid = cidExtension === undefined ? undefined : Buffer.from(parseConnectionIdExtension(cidExtension));
    transcript.add(reply.encoded);
    for (;;) {
      const message = await this.nextMessage(deadline);
      if (message === undefined) throw new DtlsHandshakeTimeoutError('no answer from the server');
      transcript.add(message.encoded); // ServerKeyExchange (a PSK hint) is hashed and ignored
      if (message.msgType === HandshakeType.ServerHelloDone) break;
    }
    const keyExchange = encodeHandshake(HandshakeType.ClientKeyExchange, this.messageSeq++, encodePskClientKeyExchange(Buffer.from(this.options.identity)));
    transcript.add(keyExchange);
    const premaster = pskPremasterSecret(this.options.psk);
    const master = masterSecret(premaster, random, serverHello.random, this.extendedMasterSecret ? transcript.digest() : undefined);
    const keys = expandKeys(master, random, serverHello.random);
    this.readKeys = { key: keys.serverWriteKey, salt: keys.serverWriteIv };
    this.writer.activate({ key: keys.clientWriteKey, salt: keys.clientWriteIv }, this.serverCid);
    const finished = encodeHandshake(HandshakeType.Finished, this.messageSeq++, finishedVerifyData(master, 'client', transcript.digest()));
    transcript.add(finished);
    const flight = [this.entry(keyExchange, 0), { type: ContentType.ChangeCipherSpec, epoch: 0 as const, content: Buffer.from([1]) }, this.entry(finished, 1)];
    const serverFinished = await this.exchange(flight, deadline);
    const expected = finishedVerifyData(master, 'server', transcript.digest());
    if (serverFinished.msgType !== HandshakeType.Finished || !timingSafeEqual(serverFinished.body, expected)) throw new DtlsAlertError(AlertDescription.DecryptError, false, 'the server Finished does not verify');
  }

  private helloBody(random: Buffer, cookie: Buffer): Buffer {
    return encodeClientHello({ version: DTLS_1_2, random, sessionId: Buffer.alloc(0), cookie, cipherSuites: [TLS_PSK_WITH_AES_128_CCM_8], compressionMethods: Buffer.from([0]), extensions: this.helloExtensions() });
  }

  private helloExtensions(): [number, Buffer][] {
    const extensions: [number, Buffer][] = [[ExtensionType.RenegotiationInfo, Buffer.from([0])]];
    if (this.options.extendedMasterSecret ?? true) extensions.push([ExtensionType.ExtendedMasterSecret, Buffer.alloc(0)]);
    if (this.options.connectionId !== undefined) extensions.push([ExtensionType.ConnectionId, encodeConnectionIdExtension(this.options.connectionId)]);
    return extensions;
  }

  private entry(message: Buffer, epoch: 0 | 1): FlightEntry {
    if (message.length > (this.options.mtu ?? 1200) - this.writer.overhead(epoch)) throw new DtlsError('client handshake messages are sent whole');
    return { type: ContentType.Handshake, epoch, content: message };
  }

  /** Sends a flight and waits for the first message of the answer, resending on timeout (§4.2.4). */
  private async exchange(flight: readonly FlightEntry[], deadline: number): Promise<HandshakeMessage> {
    let timeout = this.options.retransmitMs ?? 1_000;
    for (;;) {
      // Not awaited: the answer is what we wait for; a failed send ends the handshake through fail().
      this.transmit(this.writer.writeFlight(flight, this.options.mtu ?? 1200)).catch((error: unknown) => this.fail(error instanceof Error ? error : new DtlsError(String(error))));
      const message = await this.nextMessage(Math.min(deadline, Date.now() + timeout));
      if (message !== undefined) return message;
      if (Date.now() >= deadline) throw new DtlsHandshakeTimeoutError('no answer from the server');
      timeout *= 2;
    }
  }

  /** The next handshake message, or undefined when none came by `until`; throws what failed the client. */
  private async nextMessage(until: number): Promise<HandshakeMessage | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const message = this.inbox.shift();
      if (message !== undefined) return message;
      const wait = until - Date.now();
      if (wait <= 0) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.waitTimer = setTimeout(resolve, wait);
      });
      clearTimeout(this.waitTimer);
      this.wake = undefined;
    }
  }

  private receive(datagram: Buffer): void {
    for (const record of parseRecords(datagram, this.options.connectionId?.length ?? 0).records) {
      try {
        this.record(record);
      } catch (error) {
        this.fail(error instanceof Error ? error : new DtlsError(String(error)));
      }
    }
    this.wake?.();
  }

  private record(record: DtlsRecord): void {
    let type = record.type;
    let content = record.fragment;
    if (record.epoch === 1) {
      if (this.readKeys === undefined || !this.window.isFresh(record.sequenceNumber)) return;
      const opened = openRecord(this.readKeys, record);
      if (opened === undefined) return;
      this.window.mark(record.sequenceNumber);
      ({ type, content } = opened);
    } else if (record.epoch !== 0) {
      return;
    }
    if (type === ContentType.Handshake) {
      for (const fragment of parseHandshakeFragments(content)) {
        const complete = this.reassembler.add(fragment);
        if (complete !== 'retransmission') this.inbox.push(...complete);
      }
    } else if (type === ContentType.ApplicationData && record.epoch === 1) {
      this.emit('message', content);
    } else if (type === ContentType.Alert && content.length === 2) {
      const description = content.readUInt8(1);
      if (content[0] === AlertLevel.Fatal || description === AlertDescription.CloseNotify) this.fail(new DtlsAlertError(description as AlertDescription, true, `the server sent ${alertName(description)}`));
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.wake?.();
    this.emit('close', error);
  }

  /** Sends the datagrams; settles when the last is handed to the kernel (sends on one socket complete in order). */
  private transmit(datagrams: readonly Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new DtlsError('client closed'));
    return new Promise<void>((resolve, reject) => {
      let pending = datagrams.length;
      if (pending === 0) resolve();
      for (const datagram of datagrams) {
        this.udp.send(datagram, this.options.port, this.options.address, (error) => {
          if (error) reject(error);
          else if (--pending === 0) resolve();
        });
      }
    });
  }
}
