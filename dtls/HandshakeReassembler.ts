/**
 * Reassembles fragmented handshake messages (RFC 6347 §4.2.3) and hands them over in
 * message_seq order. Bounded: a few messages ahead, a maximum message size.
 */
import { encodeHandshake, isWholeMessage, type HandshakeFragment } from './handshakeFraming.ts';
import { DtlsDecodeError } from './errors.ts';

/** Our handshakes carry no certificates: anything larger is not a PSK handshake message. */
export const MAX_HANDSHAKE_MESSAGE_LENGTH = 8192;
const MAX_MESSAGES_AHEAD = 4;
/** Disjoint fragment ranges one message may be in before we call it abuse. */
const MAX_RANGES = 64;

export interface HandshakeMessage {
  readonly msgType: number;
  readonly messageSeq: number;
  readonly body: Buffer;
  /** The message as one fragment, for the transcript. */
  readonly encoded: Buffer;
}

interface PartialMessage {
  readonly msgType: number;
  readonly body: Buffer;
  /** Byte ranges received so far, kept merged and sorted. */
  ranges: [number, number][];
}

export class HandshakeReassembler {
  /** Messages still in pieces; created with the first fragment that is not a whole next message. */
  private partials: Map<number, PartialMessage> | undefined;

  constructor(private nextSeq: number) {}

  /** The message_seq the next handed-over message will have. */
  get expectedSeq(): number {
    return this.nextSeq;
  }

  /**
   * Adds a fragment; returns the messages now complete, in order. A fragment of an earlier
   * message returns 'retransmission' (the peer repeats its flight: §4.2.4 says resend ours).
   */
  add(fragment: HandshakeFragment): HandshakeMessage[] | 'retransmission' {
    if (fragment.messageSeq < this.nextSeq) return 'retransmission';
    if (fragment.messageSeq >= this.nextSeq + MAX_MESSAGES_AHEAD) return [];
    if (fragment.length > MAX_HANDSHAKE_MESSAGE_LENGTH) throw new DtlsDecodeError(`handshake message of ${fragment.length} bytes`);
    if (fragment.messageSeq === this.nextSeq && isWholeMessage(fragment) && this.partials?.has(this.nextSeq) !== true) {
      // The usual case: the next message, whole in one fragment, taken as it came (no copy, no re-encoding).
      this.nextSeq++;
      return this.drain([{ msgType: fragment.msgType, messageSeq: fragment.messageSeq, body: fragment.body, encoded: fragment.encoded }]);
    }
    const partials = (this.partials ??= new Map());
    let partial = partials.get(fragment.messageSeq);
    if (partial === undefined) {
      partial = { msgType: fragment.msgType, body: Buffer.alloc(fragment.length), ranges: [] };
      partials.set(fragment.messageSeq, partial);
    } else if (partial.msgType !== fragment.msgType || partial.body.length !== fragment.length) {
      throw new DtlsDecodeError('handshake fragments of one message disagree on type or length');
    }
    fragment.body.copy(partial.body, fragment.fragmentOffset);
    partial.ranges = mergeRange(partial.ranges, fragment.fragmentOffset, fragment.fragmentOffset + fragment.body.length);
    if (partial.ranges.length > MAX_RANGES) throw new DtlsDecodeError('handshake message in too many fragments');
    return this.drain([]);
  }

  /** Appends to `complete` the messages now whole from message_seq `nextSeq` on. */
  private drain(complete: HandshakeMessage[]): HandshakeMessage[] {
    const partials = this.partials;
    while (partials !== undefined && partials.size > 0) {
      const next = partials.get(this.nextSeq);
      if (next === undefined || !covers(next.ranges, next.body.length)) return complete;
      partials.delete(this.nextSeq);
      complete.push({ msgType: next.msgType, messageSeq: this.nextSeq, body: next.body, encoded: encodeHandshake(next.msgType, this.nextSeq, next.body) });
      this.nextSeq++;
    }
    return complete;
  }
}

function mergeRange(ranges: [number, number][], start: number, end: number): [number, number][] {
  const all = [...ranges, [start, end] as [number, number]].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

function covers(ranges: [number, number][], length: number): boolean {
  if (length === 0) return true;
  const first = ranges[0];
  return ranges.length === 1 && first !== undefined && first[0] === 0 && first[1] >= length;
}
