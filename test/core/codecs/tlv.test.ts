import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entriesToRecord } from '../../../core/codecs/index.ts';
import type { LwM2mEntry } from '../../../core/codecs/model.ts';
import { tlvCodec } from '../../../core/codecs/tlv.ts';
import { CodecError } from '../../../core/lwm2m/errors.ts';
import { LwM2mPath } from '../../../core/lwm2m/LwM2mPath.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { entry, path } from './helpers.ts';
import { hex, TLV_ACCESS_CONTROL, TLV_DEVICE_INSTANCE, TLV_SERVER_OBJECT } from './fixtures.ts';

const registry = defaultObjectRegistry;

function decoded(payload: Uint8Array, at: string): LwM2mEntry[] {
  const result = tlvCodec.decode(payload, path(at), registry);
  if (!result.success) throw result.error;
  return result.data;
}

const DEVICE_ENTRIES: LwM2mEntry[] = [
  entry('/3/0/0', 'Open Mobile Alliance'),
  entry('/3/0/1', 'Lightweight M2M Client'),
  entry('/3/0/2', '345000123'),
  entry('/3/0/3', '1.0'),
  entry('/3/0/6/0', 1),
  entry('/3/0/6/1', 5),
  entry('/3/0/7/0', 3800),
  entry('/3/0/7/1', 5000),
  entry('/3/0/8/0', 125),
  entry('/3/0/8/1', 900),
  entry('/3/0/9', 100),
  entry('/3/0/10', 15),
  entry('/3/0/11/0', 0),
  entry('/3/0/13', new Date(1367491215 * 1000)),
  entry('/3/0/14', '+02:00'),
  entry('/3/0/16', 'U'),
];

describe('tlvCodec golden fixtures', () => {
  it('decodes the spec example Device instance with registry types', () => {
    // Act
    const entries = decoded(TLV_DEVICE_INSTANCE, '/3/0');

    // Assess
    expect(entriesToRecord(entries)).toEqual(entriesToRecord(DEVICE_ENTRIES));
    expect(entries.map((e) => e.path.toString())).toEqual(DEVICE_ENTRIES.map((e) => e.path.toString()));
  });

  it('encodes the Device entries to the exact spec bytes', () => {
    // Act
    const result = tlvCodec.encode(DEVICE_ENTRIES, path('/3/0'), registry);

    // Assess
    expect(result.success && result.data.toString('hex')).toBe(TLV_DEVICE_INSTANCE.toString('hex'));
  });

  it('decodes the spec example Server object read at /1', () => {
    expect(entriesToRecord(decoded(TLV_SERVER_OBJECT, '/1'))).toEqual({
      '/1/0/0': 1,
      '/1/0/1': 86400,
      '/1/0/6': true,
      '/1/0/7': 'U',
    });
  });

  it('encodes the Server object with its object instance wrapper', () => {
    // Prepare
    const entries = [entry('/1/0/0', 1), entry('/1/0/1', 86400), entry('/1/0/6', true), entry('/1/0/7', 'U')];

    // Act
    const result = tlvCodec.encode(entries, path('/1'), registry);

    // Assess
    expect(result.success && result.data).toEqual(TLV_SERVER_OBJECT);
  });

  it('decodes an unknown object as opaque values, including 16-bit identifiers', () => {
    // Act
    const record = entriesToRecord(decoded(TLV_ACCESS_CONTROL, '/2'));

    // Assess
    expect(Object.keys(record)).toHaveLength(9);
    expect(record['/2/2/2/310']).toEqual(Buffer.from([0x01]));
    expect(record['/2/0/2/127']).toEqual(Buffer.from([0x07]));
  });
});

describe('tlvCodec decoding by request level', () => {
  it('reads a multiple resource at its resource path', () => {
    expect(entriesToRecord(decoded(hex('86 06 41 00 01 41 01 05'), '/3/0/6'))).toEqual({ '/3/0/6/0': 1, '/3/0/6/1': 5 });
  });

  it('reads bare resource instances at a resource path', () => {
    expect(entriesToRecord(decoded(hex('41 00 01 41 01 05'), '/3/0/6'))).toEqual({ '/3/0/6/0': 1, '/3/0/6/1': 5 });
  });

  it('reads a single resource value at its path', () => {
    expect(decoded(hex('C1 09 64'), '/3/0/9')).toEqual([entry('/3/0/9', 100)]);
  });

  it('reads one resource instance at its path', () => {
    expect(decoded(hex('41 01 05'), '/3/0/6/1')).toEqual([entry('/3/0/6/1', 5)]);
  });

  it('accepts an object instance wrapper matching the requested instance', () => {
    expect(decoded(hex('08 00 03 C1 09 64'), '/3/0')).toEqual([entry('/3/0/9', 100)]);
  });

  it('accepts a single-instance object read without the instance wrapper', () => {
    expect(decoded(hex('C1 09 64'), '/3')).toEqual([entry('/3/0/9', 100)]);
  });

  it('reads unsigned integers, floats, booleans and object links by registry type', () => {
    // Prepare
    const payload = hex('C1 0B FF C4 0A 00 01 00 02 C1 0F 01');

    // Act
    const record = entriesToRecord(decoded(payload, '/1/0'));

    // Assess
    expect(record).toEqual({ '/1/0/11': 255, '/1/0/10': { objectId: 1, instanceId: 2 }, '/1/0/15': true });
  });

  it('reads 8-byte integers beyond 2^53 as bigint', () => {
    expect(decoded(hex('C8 09 08 7F FF FF FF FF FF FF FF'), '/3/0/9')[0]?.value).toBe(2n ** 63n - 1n);
  });

  it('reads 4-byte floats', () => {
    expect(decoded(hex('E4 16 44 41 C4 00 00'), '/3303/0/5700')[0]?.value).toBe(24.5);
  });
});

describe('tlvCodec rejects malformed payloads', () => {
  it.each([
    ['a truncated header', 'C8', '/3/0'],
    ['a truncated 16-bit identifier', 'E1 00', '/3/0'],
    ['a length beyond the buffer', 'C8 00 14 4F 70', '/3/0'],
    ['a huge 24-bit length', 'D8 00 FF FF FF 00', '/3/0'],
    ['a resource instance outside a multiple resource', '41 00 01', '/3/0'],
    ['an object instance inside an object instance', '08 00 03 08 01 00', '/3'],
    ['a resource value inside a multiple resource', '83 06 C1 00 01', '/3/0'],
    ['a resource id other than requested', 'C1 0A 0F', '/3/0/9'],
    ['an object instance other than requested', '08 01 03 C1 09 64', '/3/0'],
    ['resources without instance wrapper for a multi-instance object', 'C1 00 01', '/1'],
    ['an empty payload for one resource instance', '', '/3/0/6/1'],
  ])('rejects %s', (_case, bytes, at) => {
    // Act
    const result = tlvCodec.decode(hex(bytes), path(at), registry);

    // Assess
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error).toBeInstanceOf(CodecError);
  });
});

describe('tlvCodec keeps a value it cannot decode as raw bytes, and the rest of the reply stands', () => {
  it.each([
    ['invalid UTF-8 in a string', 'C2 00 C3 28 C1 09 64', '/3/0', '/3/0/0', 'c328', 'not valid UTF-8'],
    ['an integer of 3 bytes', 'C3 0B 01 02 03 C1 09 64', '/3/0', '/3/0/11', '010203', '3 bytes are not a valid integer'],
    ['a boolean that is not 0 or 1', 'C1 06 02 C1 09 64', '/1/0', '/1/0/6', '02', '1 bytes are not a valid boolean'],
    ['a float of 2 bytes', 'E2 16 44 00 00 C1 09 64', '/3303/0', '/3303/0/5700', '0000', '2 bytes are not a valid float'],
  ])('%s', (_case, bytes, at, badPath, raw, reason) => {
    // Act
    const entries = decoded(hex(bytes), at);

    // Assess
    const bad = entries.find((e) => e.path.toString() === badPath);
    expect(bad?.undecodable).toContain(reason);
    expect(Buffer.from(bad?.value as Uint8Array).toString('hex')).toBe(raw);
    expect(entries.filter((e) => e.undecodable === undefined)).toHaveLength(1);
  });

  it('reads a custom string resource of invalid UTF-8 inside an instance as an error beside the good values', () => {
    // Prepare: /3/0/0 "AB", /3/0/1 = FF FE (not UTF-8), /3/0/3 "1.0"
    const payload = hex('C2 00 41 42 C2 01 FF FE C3 03 31 2E 30');

    // Act
    const entries = decoded(payload, '/3/0');

    // Assess
    expect(entries.map((e) => [e.path.toString(), e.undecodable === undefined ? e.value : 'undecodable'])).toEqual([
      ['/3/0/0', 'AB'],
      ['/3/0/1', 'undecodable'],
      ['/3/0/3', '1.0'],
    ]);
  });
});

it('rejects decoding at the root path', () => {
  expect(tlvCodec.decode(hex('C1 00 01'), LwM2mPath.root(), registry).success).toBe(false);
});

describe('tlvCodec encoding', () => {
  function encoded(entries: LwM2mEntry[], at: string): string {
    const result = tlvCodec.encode(entries, path(at), registry);
    if (!result.success) throw result.error;
    return result.data.toString('hex');
  }

  it('uses a 16-bit identifier and an 8-byte float when float32 would lose precision', () => {
    expect(encoded([entry('/3303/0/5700', 1.1)], '/3303/0')).toBe('e81644083ff199999999999a');
  });

  it('uses a 4-byte float when the value fits exactly', () => {
    expect(encoded([entry('/3303/0/5700', 24.5)], '/3303/0/5700')).toBe('e4164441c40000');
  });

  it('uses a 16-bit length field for values of 256 bytes or more', () => {
    expect(encoded([entry('/5/0/0', Buffer.alloc(300, 0xab))], '/5/0/0').slice(0, 10)).toBe('d000012cab');
  });

  it('writes integers in the fewest bytes, signed', () => {
    expect(encoded([entry('/3/0/9', -1)], '/3/0/9')).toBe('c109ff');
    expect(encoded([entry('/3/0/9', 128)], '/3/0/9')).toBe('c2090080');
    expect(encoded([entry('/3/0/9', 2n ** 40n)], '/3/0/9')).toBe('c809080000010000000000');
  });

  it('writes unsigned integers without a sign byte', () => {
    expect(encoded([entry('/1/0/11', 255)], '/1/0/11')).toBe('c10bff');
  });

  it('writes object links as two 16-bit ids', () => {
    expect(encoded([entry('/1/0/10', { objectId: 11, instanceId: 1 })], '/1/0/10')).toBe('c40a000b0001');
  });

  it('writes a multiple resource at its resource path', () => {
    expect(encoded([entry('/3/0/6/0', 1), entry('/3/0/6/1', 5)], '/3/0/6')).toBe('8606410001410105');
  });

  it('writes one resource instance at its path', () => {
    expect(encoded([entry('/3/0/6/1', 5)], '/3/0/6/1')).toBe('410105');
  });

  it.each([
    ['a value of the wrong type', [entry('/3/0/9', 'full')], '/3/0'],
    ['a fractional integer', [entry('/3/0/9', 1.5)], '/3/0'],
    ['a negative unsigned integer', [entry('/1/0/11', -1)], '/1/0'],
    ['an entry outside the request path', [entry('/3/0/9', 1)], '/4/0'],
    ['a repeated resource instance', [entry('/3/0/6/0', 1), entry('/3/0/6/0', 2)], '/3/0'],
    ['single and multiple values for one resource', [entry('/3/0/6', 1), entry('/3/0/6/0', 2)], '/3/0'],
    ['an integer beyond 64 bits', [entry('/3/0/9', 2n ** 64n)], '/3/0'],
  ])('refuses %s', (_case, entries, at) => {
    const result = tlvCodec.encode(entries, path(at), registry);
    expect(result.success).toBe(false);
  });

  it('round-trips any 64-bit integer for an integer resource', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        // Act
        const bytes = tlvCodec.encode([entry('/3/0/9', n)], path('/3/0/9'), registry);
        const back = bytes.success ? tlvCodec.decode(bytes.data, path('/3/0/9'), registry) : bytes;

        // Assess
        expect(back.success && BigInt(back.data[0]?.value as number | bigint)).toBe(n);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips a mixed instance of every value type', () => {
    // Prepare
    const entries = [
      entry('/1/0/0', 7),
      entry('/1/0/6', false),
      entry('/1/0/7', 'UQ'),
      entry('/1/0/10', { objectId: 11, instanceId: 0 }),
      entry('/1/0/12', new Date('2024-05-01T12:00:00Z')),
      entry('/1/0/30', Buffer.from([1, 2, 3])),
    ];

    // Act
    const bytes = tlvCodec.encode(entries, path('/1/0'), registry);
    const back = bytes.success ? tlvCodec.decode(bytes.data, path('/1/0'), registry) : bytes;

    // Assess
    expect(back.success && back.data).toEqual(entries);
  });
});
