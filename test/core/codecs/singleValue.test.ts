import { describe, expect, it } from 'vitest';
import { cborCodec } from '../../../core/codecs/cbor.ts';
import type { Codec, LwM2mEntry } from '../../../core/codecs/model.ts';
import { opaqueCodec } from '../../../core/codecs/opaque.ts';
import { textCodec } from '../../../core/codecs/text.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { hex } from './fixtures.ts';
import { entry, path } from './helpers.ts';

const registry = defaultObjectRegistry;

function decodeWith(codec: Codec, payload: Uint8Array, at: string): LwM2mEntry[] {
  const result = codec.decode(payload, path(at), registry);
  if (!result.success) throw result.error;
  return result.data;
}

function encodeWith(codec: Codec, e: LwM2mEntry): Buffer {
  const result = codec.encode([e], e.path, registry);
  if (!result.success) throw result.error;
  return result.data;
}

describe('textCodec', () => {
  it.each([
    ['/3/0/0', 'Open Mobile Alliance', 'Open Mobile Alliance'],
    ['/3/0/9', '100', 100],
    ['/3/0/9', '-7', -7],
    ['/3/0/9', '9223372036854775807', 2n ** 63n - 1n],
    ['/1/0/11', '18446744073709551615', 2n ** 64n - 1n],
    ['/3303/0/5700', '24.5', 24.5],
    ['/3303/0/5700', '-1.5e3', -1500],
    ['/1/0/6', '1', true],
    ['/1/0/6', '0', false],
    ['/3/0/13', '1367491215', new Date(1367491215000)],
    ['/1/0/10', '11:0', { objectId: 11, instanceId: 0 }],
    ['/5/0/0', 'AQID', Buffer.from([1, 2, 3])],
    ['/9999/0/1', 'anything', 'anything'],
  ])('decodes %s from "%s"', (at, text, value) => {
    expect(decodeWith(textCodec, Buffer.from(text), at)).toEqual([entry(at, value)]);
  });

  it.each([
    ['/3/0/9', '12abc'],
    ['/3/0/9', '9223372036854775808'],
    ['/1/0/11', '-1'],
    ['/3303/0/5700', 'NaN'],
    ['/1/0/6', '2'],
    ['/1/0/10', '11'],
    ['/1/0/10', '70000:0'],
    ['/5/0/0', 'not base64!'],
    ['/3/0', 'x'],
  ])('rejects %s with "%s"', (at, text) => {
    expect(textCodec.decode(Buffer.from(text), path(at), registry).success).toBe(false);
  });

  it('keeps invalid UTF-8 as raw bytes marked undecodable instead of failing the read', () => {
    const result = textCodec.decode(hex('c328'), path('/3/0/0'), registry);
    expect(result.success && result.data.map((e) => [e.path.toString(), Buffer.from(e.value as Uint8Array).toString('hex'), e.undecodable])).toEqual([
      ['/3/0/0', 'c328', '/3/0/0: not valid UTF-8'],
    ]);
  });

  it.each([
    ['/3/0/0', 'ACME', 'ACME'],
    ['/3/0/9', 100, '100'],
    ['/3/0/9', 2n ** 60n, '1152921504606846976'],
    ['/3/0/9', 1e21, '1000000000000000000000'],
    ['/1/0/6', true, '1'],
    ['/3/0/13', new Date(1367491215900), '1367491215'],
    ['/1/0/10', { objectId: 11, instanceId: 2 }, '11:2'],
    ['/5/0/0', Buffer.from([1, 2, 3]), 'AQID'],
  ])('encodes %s as "%s"', (at, value, text) => {
    expect(encodeWith(textCodec, entry(at, value)).toString()).toBe(text);
  });

  it('refuses more than one value', () => {
    const result = textCodec.encode([entry('/3/0/9', 1), entry('/3/0/9', 2)], path('/3/0/9'), registry);
    expect(result.success).toBe(false);
  });

  it('refuses a value for another path', () => {
    expect(textCodec.encode([entry('/3/0/9', 1)], path('/3/0/10'), registry).success).toBe(false);
  });

  it('refuses non-finite floats', () => {
    expect(textCodec.encode([entry('/3303/0/5700', Infinity)], path('/3303/0/5700'), registry).success).toBe(false);
  });
});

describe('opaqueCodec', () => {
  it('decodes the payload as a copy of its bytes', () => {
    // Prepare
    const payload = Buffer.from([0xde, 0xad]);

    // Act
    const [decoded] = decodeWith(opaqueCodec, payload, '/5/0/0');
    payload[0] = 0;

    // Assess
    expect(decoded?.value).toEqual(Buffer.from([0xde, 0xad]));
  });

  it('encodes bytes unchanged', () => {
    expect(encodeWith(opaqueCodec, entry('/5/0/0', Buffer.from([1, 2]))).toString('hex')).toBe('0102');
  });

  it('refuses non-byte values', () => {
    expect(opaqueCodec.encode([entry('/3/0/0', 'x')], path('/3/0/0'), registry).success).toBe(false);
  });

  it('refuses instance-level request paths', () => {
    expect(opaqueCodec.decode(Buffer.from([1]), path('/5/0'), registry).success).toBe(false);
  });
});

describe('cborCodec', () => {
  it.each([
    ['/3/0/9', 100, '1864'],
    ['/3/0/9', -1, '20'],
    ['/3/0/9', 2n ** 63n - 1n, '1b7fffffffffffffff'],
    ['/3/0/9', 2 ** 40, '1b0000010000000000'],
    ['/3/0/0', 'ACME', '6441434d45'],
    ['/3303/0/5700', 24.5, 'fa41c40000'],
    ['/3303/0/5700', 20, 'fa41a00000'],
    ['/3303/0/5700', 1.1, 'fb3ff199999999999a'],
    ['/1/0/6', true, 'f5'],
    ['/5/0/0', Buffer.from([1, 2]), '420102'],
    ['/3/0/13', new Date(1367491215000), '1a5182428f'],
    ['/1/0/10', { objectId: 3, instanceId: 0 }, '63333a30'],
  ])('encodes %s value %s as %s', (at, value, bytes) => {
    expect(encodeWith(cborCodec, entry(at, value)).toString('hex')).toBe(bytes);
  });

  it.each([
    ['/3/0/9', '1864', 100],
    ['/3/0/9', '1bffffffffffffff00', undefined],
    ['/1/0/11', '1bffffffffffffffff', 2n ** 64n - 1n],
    ['/3303/0/5700', 'f93e00', 1.5],
    ['/3303/0/5700', '14', 20],
    ['/3/0/13', '1a5182428f', new Date(1367491215000)],
    ['/3/0/13', 'c11a5182428f', new Date(1367491215000)],
    ['/1/0/10', '63333a30', { objectId: 3, instanceId: 0 }],
    ['/5/0/0', '420102', Buffer.from([1, 2])],
    ['/9999/0/0', 'f4', false],
  ])('decodes %s from %s', (at, bytes, value) => {
    const result = cborCodec.decode(hex(bytes), path(at), registry);
    if (value === undefined) expect(result.success).toBe(false);
    else expect(result.success && result.data).toEqual([entry(at, value)]);
  });

  it.each([
    ['an array', '820102', '/3/0/9'],
    ['a map', 'a10102', '/3/0/9'],
    ['null', 'f6', '/3/0/9'],
    ['trailing bytes', '186400', '/3/0/9'],
    ['a string for an integer', '6131', '/3/0/9'],
    ['an empty payload', '', '/3/0/9'],
    ['a date for a string resource', 'c11a5182428f', '/3/0/0'],
  ])('rejects %s', (_case, bytes, at) => {
    expect(cborCodec.decode(hex(bytes), path(at), registry).success).toBe(false);
  });
});
