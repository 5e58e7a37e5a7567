import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentType, DTLS_1_2 } from '../../dtls/constants.ts';
import { encodeRecord, openRecord, packDatagrams, parseRecords, sealRecord, type DtlsRecord } from '../../dtls/record.ts';

const keys = { key: randomBytes(16), salt: randomBytes(4) };
const CID = Buffer.from('0102030405060708', 'hex');

function only(datagram: Buffer, cidLength = 0): DtlsRecord {
  const { records } = parseRecords(datagram, cidLength);
  const [record] = records;
  if (record === undefined || records.length !== 1) throw new Error(`expected one record, got ${records.length}`);
  return record;
}

describe('AES-128-CCM-8 record protection', () => {
  it('opens a sealed record to the same content and type', () => {
    const content = Buffer.from('a CoAP message');

    const opened = openRecord(keys, only(sealRecord(keys, ContentType.ApplicationData, 1, 42, content)));

    expect(opened).toEqual({ type: ContentType.ApplicationData, content });
  });

  it('adds 16 bytes: an 8-byte explicit nonce (epoch and sequence number) and an 8-byte tag', () => {
    const record = sealRecord(keys, ContentType.ApplicationData, 1, 0x0102030405, Buffer.alloc(100));

    expect(record).toHaveLength(13 + 100 + 16);
    expect(record.subarray(13, 21).toString('hex')).toBe('0001000102030405');
  });

  it('refuses a record with any single byte of its fragment flipped', () => {
    const record = sealRecord(keys, ContentType.ApplicationData, 1, 7, Buffer.from('firmware block'));

    for (let offset = 13; offset < record.length; offset++) {
      const tampered = Buffer.from(record);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      expect(openRecord(keys, only(tampered))).toBeUndefined();
    }
  });

  it('refuses a record whose header (type, epoch, sequence number) was changed, as the header is authenticated', () => {
    const record = sealRecord(keys, ContentType.ApplicationData, 1, 7, Buffer.from('data'));
    const changes = [
      (r: Buffer) => r.writeUInt8(ContentType.Alert, 0),
      (r: Buffer) => r.writeUInt16BE(2, 3),
      (r: Buffer) => r.writeUIntBE(8, 5, 6),
    ];

    for (const change of changes) {
      const tampered = Buffer.from(record);
      change(tampered);
      expect(openRecord(keys, only(tampered))).toBeUndefined();
    }
  });

  it('refuses a record sealed with another key', () => {
    const record = sealRecord({ key: randomBytes(16), salt: keys.salt }, ContentType.ApplicationData, 1, 1, Buffer.from('x'));

    expect(openRecord(keys, only(record))).toBeUndefined();
  });
});

describe('connection ID records (RFC 9146)', () => {
  it('hides the real content type inside the ciphertext behind the tls12_cid outer type', () => {
    const record = sealRecord(keys, ContentType.ApplicationData, 1, 3, Buffer.from('hello'), CID);
    const parsed = only(record, CID.length);

    expect(parsed.type).toBe(ContentType.Tls12Cid);
    expect(parsed.cid).toEqual(CID);
    expect(openRecord(keys, parsed)).toEqual({ type: ContentType.ApplicationData, content: Buffer.from('hello') });
  });

  it('refuses a CID record whose connection ID was changed, as the CID is authenticated', () => {
    const record = sealRecord(keys, ContentType.ApplicationData, 1, 3, Buffer.from('hello'), CID);
    record[11] = (record[11] ?? 0) ^ 0xff;

    expect(openRecord(keys, only(record, CID.length))).toBeUndefined();
  });
});

describe('record parsing', () => {
  const handshake = encodeRecord(ContentType.Handshake, DTLS_1_2, 0, 1, Buffer.alloc(20, 1));
  const alert = encodeRecord(ContentType.Alert, DTLS_1_2, 0, 2, Buffer.from([1, 0]));

  it('reads several records from one datagram', () => {
    const { records, malformed } = parseRecords(Buffer.concat([handshake, alert]), 0);

    expect(malformed).toBe(false);
    expect(records.map((r) => [r.type, r.sequenceNumber])).toEqual([
      [ContentType.Handshake, 1],
      [ContentType.Alert, 2],
    ]);
  });

  it('keeps the records before a truncated one and flags the datagram', () => {
    const { records, malformed } = parseRecords(Buffer.concat([handshake, alert.subarray(0, alert.length - 1)]), 0);

    expect(records).toHaveLength(1);
    expect(malformed).toBe(true);
  });

  it('refuses a record longer than 2^14 + 2048 bytes', () => {
    const oversized = encodeRecord(ContentType.ApplicationData, DTLS_1_2, 1, 1, Buffer.alloc(16_384 + 2049));

    expect(parseRecords(oversized, 0)).toEqual({ records: [], malformed: true });
  });

  it('refuses unknown content types and foreign versions', () => {
    const unknownType = encodeRecord(99, DTLS_1_2, 0, 1, Buffer.alloc(4));
    const tls = encodeRecord(ContentType.Handshake, 0x0303, 0, 1, Buffer.alloc(4));

    expect(parseRecords(unknownType, 0).records).toHaveLength(0);
    expect(parseRecords(tls, 0).records).toHaveLength(0);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 16 }), (bytes, cidLength) => {
        const { records } = parseRecords(Buffer.from(bytes), cidLength);
        for (const record of records) openRecord(keys, record);
      }),
      { numRuns: 2_000 },
    );
  });

  it('packs records into datagrams no larger than the MTU, never splitting one', () => {
    const records = [Buffer.alloc(50), Buffer.alloc(50), Buffer.alloc(50), Buffer.alloc(120)];

    const datagrams = packDatagrams(records, 110);

    expect(datagrams.map((d) => d.length)).toEqual([100, 50, 120]);
  });
});
