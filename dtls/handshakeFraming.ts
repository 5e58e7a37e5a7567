/**
 * DTLS handshake message framing (RFC 6347 §4.2.2): a 12-byte header (msg_type, length,
 * message_seq, fragment_offset, fragment_length), so one message can span several records.
 */
import { HANDSHAKE_HEADER_LENGTH } from './constants.ts';
import { DtlsDecodeError } from './errors.ts';

export interface HandshakeFragment {
  readonly msgType: number;
  /** Length of the whole message body. */
  readonly length: number;
  readonly messageSeq: number;
  readonly fragmentOffset: number;
  readonly body: Buffer;
  /** The fragment as received, header included: for a whole message, its encoding (§4.2.6). */
  readonly encoded: Buffer;
}

/** A whole message (one fragment covering it all): the form hashed into the transcript (§4.2.6). */
export function encodeHandshake(msgType: number, messageSeq: number, body: Buffer): Buffer {
  return encodeFragment(msgType, body.length, messageSeq, 0, body);
}

function encodeFragment(msgType: number, length: number, messageSeq: number, fragmentOffset: number, fragment: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HANDSHAKE_HEADER_LENGTH + fragment.length);
  out.writeUInt8(msgType, 0);
  out.writeUIntBE(length, 1, 3);
  out.writeUInt16BE(messageSeq, 4);
  out.writeUIntBE(fragmentOffset, 6, 3);
  out.writeUIntBE(fragment.length, 9, 3);
  fragment.copy(out, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/**
 * Splits a whole message (as from `encodeHandshake`) into fragments whose bodies are at most
 * `maxFragmentBody` bytes (RFC 6347 §4.2.3), each to go in its own record.
 */
export function fragmentHandshake(message: Buffer, maxFragmentBody: number): Buffer[] {
  const body = message.subarray(HANDSHAKE_HEADER_LENGTH);
  if (body.length <= maxFragmentBody) return [message];
  const msgType = message.readUInt8(0);
  const messageSeq = message.readUInt16BE(4);
  const fragments: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += maxFragmentBody) {
    fragments.push(encodeFragment(msgType, body.length, messageSeq, offset, body.subarray(offset, offset + maxFragmentBody)));
  }
  return fragments;
}

/** The handshake fragments in a record's content (a record may hold several, §4.2.3). */
export function parseHandshakeFragments(content: Buffer): HandshakeFragment[] {
  const fragments: HandshakeFragment[] = [];
  let offset = 0;
  while (offset < content.length) {
    if (content.length - offset < HANDSHAKE_HEADER_LENGTH) throw new DtlsDecodeError('truncated handshake header');
    const length = content.readUIntBE(offset + 1, 3);
    const fragmentOffset = content.readUIntBE(offset + 6, 3);
    const fragmentLength = content.readUIntBE(offset + 9, 3);
    const start = offset + HANDSHAKE_HEADER_LENGTH;
    if (start + fragmentLength > content.length || fragmentOffset + fragmentLength > length) throw new DtlsDecodeError('handshake fragment exceeds its record or message');
    fragments.push({
      msgType: content.readUInt8(offset),
      length,
      messageSeq: content.readUInt16BE(offset + 4),
      fragmentOffset,
      body: content.subarray(start, start + fragmentLength),
      encoded: content.subarray(offset, start + fragmentLength),
    });
    offset = start + fragmentLength;
  }
  return fragments;
}

/** True when the fragment is a whole message, as a stateless server needs its ClientHello. */
export function isWholeMessage(fragment: HandshakeFragment): boolean {
  return fragment.fragmentOffset === 0 && fragment.body.length === fragment.length;
}
