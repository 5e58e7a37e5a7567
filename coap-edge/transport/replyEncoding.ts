/**
 * Encodes the edge's replies and its own requests to devices (RFC 7252 §3): header, token,
 * options in delta form, payload marker and payload, written once into one buffer of the exact
 * size. It replaces coap-packet 1.1.1's `generate()`, which decodes every payload as UTF-8 twice
 * only to test whether it is empty (20% of the CPU of serving a 1 KiB firmware block) and
 * allocates a buffer per option. The bytes are the same as coap-packet's
 * (test/coap-edge/replyEncoding.test.ts checks it).
 */

/** One reply: a piggybacked ACK for a CON, a NON for a NON (RFC 7252 §5.2). */
export interface CoapReply {
  /** "2.05" and friends. */
  readonly code: string;
  readonly messageId: number;
  readonly token: Uint8Array;
  /** An ACK when true, else a NON. */
  readonly ack: boolean;
  /** (number, value) pairs in ascending option number; equal numbers keep their order. */
  readonly options: readonly (readonly [number, Uint8Array])[];
  readonly payload?: Uint8Array;
}

/** A confirmable request of the edge to a device (ConfirmableRequests.ts). */
export interface CoapRequest {
  /** "0.01" (GET) and friends. */
  readonly code: string;
  readonly messageId: number;
  readonly token: Uint8Array;
  /** (number, value) pairs in ascending option number; equal numbers keep their order. */
  readonly options: readonly (readonly [number, Uint8Array])[];
  readonly payload?: Uint8Array;
}

/** RFC 7252 §4.6: a message must fit in the path MTU; 1280 bytes is the IPv6 minimum. */
export const MAX_REPLY_BYTES = 1280;
/**
 * A request's limit is the datagram's: the edge's Writes of more than a block go block-wise
 * (block1Transfer.ts), the others are what the caller chose to send in one piece.
 */
const MAX_REQUEST_BYTES = 65_507;
const VERSION_1 = 0x40;
const TYPE_CON = 0x00;
const TYPE_ACK = 0x20;
const TYPE_NON = 0x10;
const PAYLOAD_MARKER = 0xff;

const codeBytes = new Map<string, number>();

/** "c.dd" -> the code byte (class in the top 3 bits, detail in the low 5); undefined if malformed. */
function codeByte(code: string): number | undefined {
  let byte = codeBytes.get(code);
  if (byte !== undefined) return byte;
  const match = /^([0-7])\.([0-3][0-9])$/.exec(code);
  if (match === null) return undefined;
  const detail = Number(match[2]);
  if (detail > 31) return undefined;
  byte = (Number(match[1]) << 5) | detail;
  codeBytes.set(code, byte);
  return byte;
}

/** Bytes an option delta or length takes beyond its nibble (RFC 7252 §3.1). */
function extendedBytes(value: number): number {
  return value < 13 ? 0 : value < 269 ? 1 : 2;
}

function nibble(value: number): number {
  return value < 13 ? value : value < 269 ? 13 : 14;
}

function writeExtended(buffer: Buffer, offset: number, value: number): number {
  if (value < 13) return offset;
  if (value < 269) {
    buffer[offset] = value - 13;
    return offset + 1;
  }
  buffer.writeUInt16BE(value - 269, offset);
  return offset + 2;
}

/**
 * The reply's datagram, or undefined when it cannot be encoded: a malformed code, a token longer
 * than 8 bytes, options out of order or too long, or more than `maxBytes` in all.
 */
export function encodeCoapReply(reply: CoapReply, maxBytes = MAX_REPLY_BYTES): Buffer | undefined {
  return encodeMessage(reply.ack ? TYPE_ACK : TYPE_NON, reply, maxBytes);
}

/** A CON request's datagram, or undefined when it cannot be encoded (as for a reply). */
export function encodeCoapRequest(request: CoapRequest): Buffer | undefined {
  return encodeMessage(TYPE_CON, request, MAX_REQUEST_BYTES);
}

function encodeMessage(type: number, message: CoapRequest, maxBytes: number): Buffer | undefined {
  const code = codeByte(message.code);
  if (code === undefined || message.token.length > 8 || message.messageId < 0 || message.messageId > 0xffff) return undefined;
  const payloadLength = message.payload?.length ?? 0;
  let length = 4 + message.token.length + (payloadLength > 0 ? 1 + payloadLength : 0);
  let previous = 0;
  for (const [number, value] of message.options) {
    const delta = number - previous;
    if (delta < 0 || delta > 65_804 || value.length > 65_804) return undefined;
    length += 1 + extendedBytes(delta) + extendedBytes(value.length) + value.length;
    previous = number;
  }
  if (length > maxBytes) return undefined;

  const buffer = Buffer.allocUnsafe(length);
  buffer[0] = VERSION_1 | type | message.token.length;
  buffer[1] = code;
  buffer.writeUInt16BE(message.messageId, 2);
  buffer.set(message.token, 4);
  let offset = 4 + message.token.length;
  previous = 0;
  for (const [number, value] of message.options) {
    const delta = number - previous;
    buffer[offset] = (nibble(delta) << 4) | nibble(value.length);
    offset = writeExtended(buffer, offset + 1, delta);
    offset = writeExtended(buffer, offset, value.length);
    buffer.set(value, offset);
    offset += value.length;
    previous = number;
  }
  if (message.payload !== undefined && payloadLength > 0) {
    buffer[offset] = PAYLOAD_MARKER;
    buffer.set(message.payload, offset + 1);
  }
  return buffer;
}
