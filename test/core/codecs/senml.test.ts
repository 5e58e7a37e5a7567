import { describe, expect, it } from 'vitest';
import { entriesToRecord } from '../../../core/codecs/index.ts';
import type { LwM2mEntry } from '../../../core/codecs/model.ts';
import { senmlCborCodec } from '../../../core/codecs/senmlCbor.ts';
import { senmlJsonCodec } from '../../../core/codecs/senmlJson.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { hex, SENML_CBOR_DEVICE, SENML_CBOR_TEMPERATURE, SENML_JSON_DEVICE } from './fixtures.ts';
import { entry, path } from './helpers.ts';

const registry = defaultObjectRegistry;
const DEVICE_ENTRIES: LwM2mEntry[] = [
  entry('/3/0/0', 'ACME'),
  entry('/3/0/9', 100),
  entry('/3/0/6/0', 1),
  entry('/3/0/13', new Date(1367491215000)),
];
const json = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('senmlJsonCodec', () => {
  it('decodes base name plus name into paths with registry types', () => {
    const result = senmlJsonCodec.decode(json(SENML_JSON_DEVICE), path('/3/0'), registry);
    expect(result.success && result.data).toEqual(DEVICE_ENTRIES);
  });

  it('encodes to the golden text with bn on the first record', () => {
    const result = senmlJsonCodec.encode(DEVICE_ENTRIES, path('/3/0'), registry);
    expect(result.success && result.data.toString()).toBe(SENML_JSON_DEVICE);
  });

  it('encodes a single value at the request path as one bn record', () => {
    const result = senmlJsonCodec.encode([entry('/3/0/0', 'ACME')], path('/3/0/0'), registry);
    expect(result.success && result.data.toString()).toBe('[{"bn":"/3/0/0","vs":"ACME"}]');
  });

  it('writes full names and no bn at the root (Read-Composite, Send)', () => {
    const result = senmlJsonCodec.encode([entry('/3/0/9', 1), entry('/5/0/3', 2)], path('/'), registry);
    expect(result.success && result.data.toString()).toBe('[{"n":"/3/0/9","v":1},{"n":"/5/0/3","v":2}]');
  });

  it('reads vb, vd in base64url, vlo and time', () => {
    // Prepare
    const text = '[{"bn":"/1/0/","n":"6","vb":true},{"n":"10","vlo":"11:0"},{"n":"12","v":1700000000},{"bn":"/5/0/","n":"0","vd":"-_8"}]';

    // Act
    const result = senmlJsonCodec.decode(json(text), path('/'), registry);

    // Assess
    expect(result.success && entriesToRecord(result.data)).toEqual({
      '/1/0/6': true,
      '/1/0/10': { objectId: 11, instanceId: 0 },
      '/1/0/12': new Date(1700000000000),
      '/5/0/0': Buffer.from([0xfb, 0xff]),
    });
  });

  it('writes bigint values with every digit and opaque as unpadded base64url', () => {
    const entries = [entry('/3/0/9', 2n ** 62n + 1n), entry('/5/0/0', Buffer.from([0xfb, 0xff]))];
    const result = senmlJsonCodec.encode(entries, path('/'), registry);
    expect(result.success && result.data.toString()).toBe('[{"n":"/3/0/9","v":4611686018427387905},{"n":"/5/0/0","vd":"-_8"}]');
  });

  it('ignores unknown fields such as units', () => {
    const result = senmlJsonCodec.decode(json('[{"bn":"/3303/0/5700","v":21.5,"u":"Cel","x":1}]'), path('/3303/0'), registry);
    expect(result.success && result.data).toEqual([entry('/3303/0/5700', 21.5)]);
  });

  it('adds a base value to v', () => {
    const result = senmlJsonCodec.decode(json('[{"bn":"/3/0/","bv":100,"n":"9","v":-1}]'), path('/3/0'), registry);
    expect(result.success && result.data).toEqual([entry('/3/0/9', 99)]);
  });

  it.each([
    ['not JSON', '[{'],
    ['not an array', '{"bn":"/3/0/0","vs":"x"}'],
    ['a record that is not an object', '[1]'],
    ['bn of the wrong type', '[{"bn":3,"vs":"x"}]'],
    ['v of the wrong type', '[{"bn":"/3/0/9","v":"1"}]'],
    ['vb of the wrong type', '[{"bn":"/1/0/6","vb":1}]'],
    ['an infinite number', '[{"bn":"/3/0/9","v":1e999}]'],
    ['two values in one record', '[{"bn":"/3/0/9","v":1,"vs":"1"}]'],
    ['no value', '[{"bn":"/3/0/9"}]'],
    ['a name that is no path', '[{"bn":"/3/x","v":1}]'],
    ['an object-level name', '[{"bn":"/3/0","v":1}]'],
    ['a name outside the request path', '[{"bn":"/4/0/0","v":1}]'],
    ['a string for an integer resource', '[{"bn":"/3/0/9","vs":"1"}]'],
    ['a fraction for an integer resource', '[{"bn":"/3/0/9","v":1.5}]'],
    ['invalid base64 in vd', '[{"bn":"/5/0/0","vd":"**"}]'],
    ['an invalid object link', '[{"bn":"/1/0/10","vlo":"11"}]'],
    ['a must-understand field', '[{"bn":"/3/0/9","v":1,"foo_":1}]'],
  ])('rejects %s', (_case, text) => {
    expect(senmlJsonCodec.decode(json(text), path('/3/0'), registry).success).toBe(false);
  });

  it('round-trips values of every type', () => {
    // Prepare
    const entries = [
      entry('/1/0/7', 'UQ'),
      entry('/1/0/6', false),
      entry('/1/0/10', { objectId: 11, instanceId: 1 }),
      entry('/1/0/12', new Date(1700000000000)),
      entry('/3303/0/5700', -12.25),
      entry('/5/0/0', Buffer.from('firmware')),
    ];

    // Act
    const bytes = senmlJsonCodec.encode(entries, path('/'), registry);
    const back = bytes.success ? senmlJsonCodec.decode(bytes.data, path('/'), registry) : bytes;

    // Assess
    expect(back.success && back.data).toEqual(entries);
  });
});

describe('senmlCborCodec', () => {
  it('decodes the hand-built golden pack', () => {
    const result = senmlCborCodec.decode(SENML_CBOR_DEVICE, path('/3/0'), registry);
    expect(result.success && result.data).toEqual(DEVICE_ENTRIES);
  });

  it('encodes to the hand-built golden bytes with integer labels', () => {
    const result = senmlCborCodec.encode(DEVICE_ENTRIES, path('/3/0'), registry);
    expect(result.success && result.data.toString('hex')).toBe(SENML_CBOR_DEVICE.toString('hex'));
  });

  it('encodes a single float at the request path', () => {
    const result = senmlCborCodec.encode([entry('/3303/0/5700', 24.5)], path('/3303/0/5700'), registry);
    expect(result.success && result.data.toString('hex')).toBe(SENML_CBOR_TEMPERATURE.toString('hex'));
  });

  it('writes vd as a byte string and vlo under its text label', () => {
    // Prepare
    const entries = [entry('/5/0/0', Buffer.from([1, 2])), entry('/1/0/10', { objectId: 3, instanceId: 0 })];

    // Act
    const result = senmlCborCodec.encode(entries, path('/'), registry);

    // Assess: [{0:"/5/0/0", 8:h'0102'}, {0:"/1/0/10", "vlo":"3:0"}]
    expect(result.success && result.data.toString('hex')).toBe(
      '82' + 'a2 00 66 2f352f302f30 08 42 0102'.replace(/ /g, '') + 'a2 00 67 2f312f302f3130 63 766c6f 63 333a30'.replace(/ /g, ''),
    );
  });

  it('writes integers beyond 32 bits as CBOR integers, not floats', () => {
    const result = senmlCborCodec.encode([entry('/3/0/9', 2 ** 40)], path('/3/0/9'), registry);
    expect(result.success && result.data.subarray(-9).toString('hex')).toBe('1b0000010000000000');
  });

  it('reads 64-bit integers beyond 2^53 as bigint', () => {
    // [{-2:"/3/0/9", 2: 0x7fffffffffffffff}]
    const result = senmlCborCodec.decode(hex('81 a2 21 66 2f332f302f39 02 1b 7fffffffffffffff'), path('/3'), registry);
    expect(result.success && result.data[0]?.value).toBe(2n ** 63n - 1n);
  });

  it.each([
    ['a map instead of an array', 'a1 21 61 2f'],
    ['an array of integers', '82 01 02'],
    ['a text label for bn', '81 a2 62 626e 66 2f332f302f39 02 01'],
    ['a byte string for n', '81 a2 00 41 2f 02 01'],
    ['a text string for v', '81 a2 21 66 2f332f302f39 02 61 31'],
    ['a text string for vd', '81 a2 21 66 2f352f302f30 08 61 31'],
    ['truncated CBOR', '81 a2 21 66 2f33'],
    ['a huge claimed array', '9b ffffffffffffffff'],
    ['trailing garbage', '80 00'],
    ['a must-understand label', '81 a3 21 66 2f332f302f39 02 01 62 785f 01'],
  ])('rejects %s', (_case, bytes) => {
    expect(senmlCborCodec.decode(hex(bytes), path('/'), registry).success).toBe(false);
  });

  it('round-trips values of every type', () => {
    // Prepare
    const entries = [
      entry('/1/0/7', 'UQ'),
      entry('/1/0/6', true),
      entry('/1/0/10', { objectId: 11, instanceId: 1 }),
      entry('/1/0/12', new Date(1700000000000)),
      entry('/3303/0/5700', -12.25),
      entry('/3/0/9', -(2n ** 62n)),
      entry('/5/0/0', Buffer.from('firmware')),
    ];

    // Act
    const bytes = senmlCborCodec.encode(entries, path('/'), registry);
    const back = bytes.success ? senmlCborCodec.decode(bytes.data, path('/'), registry) : bytes;

    // Assess
    expect(back.success && back.data).toEqual(entries);
  });
});
