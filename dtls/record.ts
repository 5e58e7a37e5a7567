/**
 * The DTLS 1.2 record layer (RFC 6347 §4.1), with Connection ID records (RFC 9146 §4). Parsing
 * never throws: a datagram is read record by record, and whatever cannot be a record (truncated,
 * oversized, garbage) ends the parse, keeping the records before it (§4.1.2.7: discard silently).
 */
import { additionalData, CCM8_OVERHEAD, cidAdditionalData, openCcm8, sealCcm8, type DirectionKeys } from './ccm.ts';
import { ContentType, DTLS_1_2, MAX_CIPHERTEXT_LENGTH, RECORD_HEADER_LENGTH } from './constants.ts';

export interface DtlsRecord {
  /** Outer content type: tls12_cid (25) for CID records, whose real type is inside the ciphertext. */
  readonly type: number;
  readonly version: number;
  readonly epoch: number;
  /** 48-bit record sequence number (fits a JS number exactly). */
  readonly sequenceNumber: number;
  /** The connection ID of a tls12_cid record, undefined for other records. */
  readonly cid: Buffer | undefined;
  readonly fragment: Buffer;
}

export interface ParsedDatagram {
  readonly records: DtlsRecord[];
  /** True when the datagram ended in something that is not a well-formed record. */
  readonly malformed: boolean;
}

/** More records than this in one datagram is abuse, not a flight. */
export const MAX_RECORDS_PER_DATAGRAM = 32;

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(ContentType));

/**
 * Splits a datagram into records (RFC 6347 §4.1.1: several records may share a datagram).
 * `cidLength` is the length of the connection IDs this endpoint issues: a tls12_cid record
 * does not carry the CID's length (RFC 9146 §4), the receiver knows it.
 */
export function parseRecords(datagram: Buffer, cidLength: number): ParsedDatagram {
  const records: DtlsRecord[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    if (records.length === MAX_RECORDS_PER_DATAGRAM) return { records, malformed: true };
    const type = datagram[offset] ?? -1;
    const cidBytes = type === ContentType.Tls12Cid ? cidLength : 0;
    const headerLength = RECORD_HEADER_LENGTH + cidBytes;
    if (!KNOWN_TYPES.has(type) || datagram.length - offset < headerLength) return { records, malformed: true };
    const version = datagram.readUInt16BE(offset + 1);
    // RFC 6347 §4.1: major version 254; ClientHellos may carry 1.0 in the record header.
    if (version >> 8 !== 0xfe) return { records, malformed: true };
    const length = datagram.readUInt16BE(offset + headerLength - 2);
    if (length > MAX_CIPHERTEXT_LENGTH || offset + headerLength + length > datagram.length) return { records, malformed: true };
    records.push({
      type,
      version,
      epoch: datagram.readUInt16BE(offset + 3),
      sequenceNumber: datagram.readUIntBE(offset + 5, 6),
      cid: cidBytes === 0 ? undefined : datagram.subarray(offset + 11, offset + 11 + cidBytes),
      fragment: datagram.subarray(offset + headerLength, offset + headerLength + length),
    });
    offset += headerLength + length;
  }
  return { records, malformed: false };
}

/** A plaintext record (epoch 0): the header of RFC 6347 §4.1 and the fragment. */
export function encodeRecord(type: number, version: number, epoch: number, sequenceNumber: number, fragment: Buffer): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + fragment.length);
  writeHeader(record, type, version, epoch, sequenceNumber, fragment.length);
  fragment.copy(record, RECORD_HEADER_LENGTH);
  return record;
}

/** type, version, epoch, sequence_number, length (RFC 6347 §4.1). */
function writeHeader(record: Buffer, type: number, version: number, epoch: number, sequenceNumber: number, length: number): void {
  record.writeUInt8(type, 0);
  record.writeUInt16BE(version, 1);
  record.writeUInt16BE(epoch, 3);
  record.writeUIntBE(sequenceNumber, 5, 6);
  record.writeUInt16BE(length, 11);
}

/**
 * A protected record. Without `cid` (or with an empty one) a plain DTLSCiphertext; with a CID,
 * a tls12_cid record whose DTLSInnerPlaintext is content + real type, no padding (RFC 9146 §4).
 * The explicit nonce is epoch + sequence number, unique per key (RFC 6655 §3). The record is
 * allocated once and sealed in place.
 */
export function sealRecord(keys: DirectionKeys, type: number, epoch: number, sequenceNumber: number, content: Buffer, cid?: Buffer): Buffer {
  if (cid === undefined || cid.length === 0) {
    const record = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + CCM8_OVERHEAD + content.length);
    writeHeader(record, type, DTLS_1_2, epoch, sequenceNumber, CCM8_OVERHEAD + content.length);
    sealCcm8(keys, epoch, sequenceNumber, additionalData(epoch, sequenceNumber, type, DTLS_1_2, content.length), content, record, RECORD_HEADER_LENGTH);
    return record;
  }
  const inner = Buffer.allocUnsafe(content.length + 1);
  content.copy(inner, 0);
  inner.writeUInt8(type, content.length);
  const headerLength = RECORD_HEADER_LENGTH + cid.length;
  const record = Buffer.allocUnsafe(headerLength + CCM8_OVERHEAD + inner.length);
  record.writeUInt8(ContentType.Tls12Cid, 0);
  record.writeUInt16BE(DTLS_1_2, 1);
  record.writeUInt16BE(epoch, 3);
  record.writeUIntBE(sequenceNumber, 5, 6);
  cid.copy(record, 11);
  record.writeUInt16BE(CCM8_OVERHEAD + inner.length, headerLength - 2);
  sealCcm8(keys, epoch, sequenceNumber, cidAdditionalData(epoch, sequenceNumber, DTLS_1_2, cid, inner.length), inner, record, headerLength);
  return record;
}

export interface OpenedRecord {
  /** The real content type (from the inner plaintext for tls12_cid records). */
  readonly type: number;
  readonly content: Buffer;
}

/** Decrypts and authenticates a protected record; undefined when it does not authenticate. */
export function openRecord(keys: DirectionKeys, record: DtlsRecord): OpenedRecord | undefined {
  const plaintextLength = record.fragment.length - CCM8_OVERHEAD;
  if (plaintextLength < 0) return undefined;
  if (record.type !== ContentType.Tls12Cid) {
    const content = openCcm8(keys, record.fragment, additionalData(record.epoch, record.sequenceNumber, record.type, record.version, plaintextLength));
    return content === undefined ? undefined : { type: record.type, content };
  }
  const inner = openCcm8(keys, record.fragment, cidAdditionalData(record.epoch, record.sequenceNumber, record.version, record.cid ?? Buffer.alloc(0), plaintextLength));
  if (inner === undefined) return undefined;
  // RFC 9146 §4: strip the zero padding; the last non-zero byte is the real content type.
  let end = inner.length - 1;
  while (end >= 0 && inner[end] === 0) end--;
  const type = inner[end];
  if (type === undefined || type === ContentType.Tls12Cid || !KNOWN_TYPES.has(type)) return undefined;
  return { type, content: inner.subarray(0, end) };
}

/** Packs records into as few datagrams as fit `mtu` bytes each (a record never splits). */
export function packDatagrams(records: readonly Buffer[], mtu: number): Buffer[] {
  const datagrams: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const record of records) {
    if (size > 0 && size + record.length > mtu) {
      datagrams.push(Buffer.concat(current, size));
      current = [];
      size = 0;
    }
    current.push(record);
    size += record.length;
  }
  if (size > 0) datagrams.push(Buffer.concat(current, size));
  return datagrams;
}
