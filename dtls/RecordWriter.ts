/**
 * One side's write state (RFC 6347 §4.1): a sequence number counter per epoch, and from epoch 1
 * on the traffic keys and the peer's connection ID. Retransmitted flights are written again with
 * fresh sequence numbers (§4.2.4), so a peer's replay window never drops them.
 */
import type { DirectionKeys } from './ccm.ts';
import { DTLS_1_2, MAX_SEQUENCE_NUMBER, RECORD_HEADER_LENGTH } from './constants.ts';
import { DtlsError } from './errors.ts';
import { encodeRecord, packDatagrams, sealRecord } from './record.ts';
import { CCM8_OVERHEAD } from './ccm.ts';

/** One record's worth of a flight, kept as plaintext so it can be re-sealed on retransmission. */
export interface FlightEntry {
  readonly type: number;
  readonly epoch: 0 | 1;
  readonly content: Buffer;
}

export class RecordWriter {
  private readonly nextSequence: [number, number];
  private keys: DirectionKeys | undefined;
  private cid: Buffer | undefined;

  /** `epoch0Start`: a stateless server continues from the client's record number (§4.2.1). */
  constructor(epoch0Start = 0) {
    this.nextSequence = [epoch0Start, 0];
  }

  /** Switches epoch 1 on: keys to seal with, and the CID the peer asked for (RFC 9146 §3). */
  activate(keys: DirectionKeys, peerCid: Buffer | undefined): void {
    this.keys = keys;
    this.cid = peerCid;
  }

  /** Bytes the record layer adds to content in `epoch`, to size fragments under an MTU. */
  overhead(epoch: 0 | 1): number {
    return RECORD_HEADER_LENGTH + (epoch === 0 ? 0 : CCM8_OVERHEAD + (this.cid === undefined || this.cid.length === 0 ? 0 : this.cid.length + 1));
  }

  /** The next record of `epoch`, sealed from epoch 1 on. Throws once sequence numbers run out. */
  write(type: number, epoch: 0 | 1, content: Buffer): Buffer {
    const sequenceNumber = this.nextSequence[epoch];
    // RFC 6347 §4.1: a sequence number must not wrap; the session has to end instead.
    if (sequenceNumber > MAX_SEQUENCE_NUMBER) throw new DtlsError('record sequence numbers exhausted');
    this.nextSequence[epoch] = sequenceNumber + 1;
    if (epoch === 0) return encodeRecord(type, DTLS_1_2, 0, sequenceNumber, content);
    if (this.keys === undefined) throw new DtlsError('epoch 1 written before its keys exist');
    return sealRecord(this.keys, type, 1, sequenceNumber, content, this.cid);
  }

  /** Writes a flight and packs its records into datagrams of at most `mtu` bytes. */
  writeFlight(entries: readonly FlightEntry[], mtu: number): Buffer[] {
    return packDatagrams(
      entries.map((entry) => this.write(entry.type, entry.epoch, entry.content)),
      mtu,
    );
  }
}
