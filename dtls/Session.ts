/**
 * An established DTLS session with one peer: its PSK identity, where it is now, the epoch 1
 * keys of both directions, and the anti-replay window (RFC 6347 §4.1.2.6). Pure state and
 * crypto; DtlsSocket decides what records mean.
 */
import type { DirectionKeys } from './ccm.ts';
import { AlertDescription, AlertLevel, ContentType } from './constants.ts';
import type { DtlsRecord, OpenedRecord } from './record.ts';
import { openRecord } from './record.ts';
import type { FlightEntry, RecordWriter } from './RecordWriter.ts';
import { ReplayWindow } from './ReplayWindow.ts';
import type { DtlsSessionInfo } from './types.ts';

export interface PeerAddress {
  readonly address: string;
  readonly port: number;
  readonly family: string;
}

export interface SessionParameters {
  readonly identity: Buffer;
  readonly peer: PeerAddress;
  /** The CID this server issued (peer puts it in its records), undefined without RFC 9146. */
  readonly cid: Buffer | undefined;
  /** The session ID a client may resume with (empty: not resumable). */
  readonly sessionId: Buffer;
  /** True when this session came from an abbreviated handshake. */
  readonly resumed: boolean;
  readonly writer: RecordWriter;
  readonly readKeys: DirectionKeys;
  /** The window already holding the client's Finished. */
  readonly window: ReplayWindow;
  /** Our last flight (ChangeCipherSpec, Finished), resent when the client repeats its Finished. */
  readonly finalFlight: readonly FlightEntry[] | undefined;
  readonly extendedMasterSecret: boolean;
}

export type OpenOutcome = { readonly kind: 'opened'; readonly record: OpenedRecord; readonly newest: boolean } | { readonly kind: 'replayed' } | { readonly kind: 'forged' };

export class Session {
  readonly identity: Buffer;
  readonly identityText: string;
  readonly cid: Buffer | undefined;
  readonly extendedMasterSecret: boolean;
  readonly sessionId: Buffer;
  readonly resumed: boolean;
  readonly writer: RecordWriter;
  peer: PeerAddress;
  lastActivity = Date.now();
  /** Dropped once the client sends application data: it has our Finished then. */
  finalFlight: readonly FlightEntry[] | undefined;
  private readonly readKeys: DirectionKeys;
  private readonly window: ReplayWindow;

  constructor(parameters: SessionParameters) {
    this.identity = parameters.identity;
    this.identityText = parameters.identity.toString('utf8');
    this.peer = parameters.peer;
    this.cid = parameters.cid;
    this.sessionId = parameters.sessionId;
    this.resumed = parameters.resumed;
    this.writer = parameters.writer;
    this.readKeys = parameters.readKeys;
    this.window = parameters.window;
    this.finalFlight = parameters.finalFlight;
    this.extendedMasterSecret = parameters.extendedMasterSecret;
  }

  /** Checks the window, authenticates, then marks the window (never before: §4.1.2.6). */
  open(record: DtlsRecord): OpenOutcome {
    if (record.epoch !== 1) return { kind: 'forged' };
    if (!this.window.isFresh(record.sequenceNumber)) return { kind: 'replayed' };
    if (this.cid !== undefined && record.type !== ContentType.Tls12Cid) return { kind: 'forged' };
    const opened = openRecord(this.readKeys, record);
    if (opened === undefined) return { kind: 'forged' };
    const newest = this.window.isNewest(record.sequenceNumber);
    this.window.mark(record.sequenceNumber);
    this.lastActivity = Date.now();
    return { kind: 'opened', record: opened, newest };
  }

  /** An application data (or alert) record for the peer, in epoch 1. */
  seal(type: number, content: Buffer): Buffer {
    return this.writer.write(type, 1, content);
  }

  /** A close_notify alert (RFC 5246 §7.2.1), or nothing once the sequence numbers are exhausted. */
  closeNotify(): Buffer | undefined {
    try {
      return this.seal(ContentType.Alert, Buffer.from([AlertLevel.Warning, AlertDescription.CloseNotify]));
    } catch {
      return undefined; // nothing more can be said in this session
    }
  }

  /** What the socket's events tell about this session (never a key). */
  info(): DtlsSessionInfo {
    return { identity: this.identityText, address: this.peer.address, port: this.peer.port, connectionId: this.cid !== undefined, extendedMasterSecret: this.extendedMasterSecret, resumed: this.resumed };
  }
}
