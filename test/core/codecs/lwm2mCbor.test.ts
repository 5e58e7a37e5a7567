import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent } from '../../../core/codecs/index.ts';
import { lwm2mCborCodec } from '../../../core/codecs/lwm2mCbor.ts';
import type { LwM2mEntry } from '../../../core/codecs/model.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { LWM2M_CBOR_DEVICE, LWM2M_CBOR_ROOT, LWM2M_CBOR_TEMPERATURE, hex } from './fixtures.ts';
import { entry, path } from './helpers.ts';

const registry = defaultObjectRegistry;
const DEVICE_ENTRIES: LwM2mEntry[] = [
  entry('/3/0/0', 'ACME'),
  entry('/3/0/6/0', 1),
  entry('/3/0/6/1', 5),
  entry('/3/0/9', 87),
  entry('/3/0/13', new Date(1367491215000)),
];

describe('lwm2mCborCodec (content-format 11544)', () => {
  it('encodes an instance as one array key for the request path and a map per level below it', () => {
    const result = lwm2mCborCodec.encode(DEVICE_ENTRIES, path('/3/0'), registry);
    expect(result.success && result.data.toString('hex')).toBe(LWM2M_CBOR_DEVICE.toString('hex'));
  });

  it('decodes the golden instance back into the same entries, with registry types', () => {
    const result = lwm2mCborCodec.decode(LWM2M_CBOR_DEVICE, path('/3/0'), registry);
    expect(result.success && result.data).toEqual(DEVICE_ENTRIES);
  });

  it('encodes values of several objects at the root with one key per level, ids ascending', () => {
    const entries = [entry('/3303/0/5700', 24.5), entry('/5/0/3', 2)];
    const result = lwm2mCborCodec.encode(entries, path('/'), registry);
    expect(result.success && result.data.toString('hex')).toBe(LWM2M_CBOR_ROOT.toString('hex'));
  });

  it('encodes a single resource as {[object, instance, resource]: value}', () => {
    const result = lwm2mCborCodec.encode([entry('/3303/0/5700', 24.5)], path('/3303/0/5700'), registry);
    expect(result.success && result.data.toString('hex')).toBe(LWM2M_CBOR_TEMPERATURE.toString('hex'));
  });

  it('keeps a float resource a float when its value is integral', () => {
    const result = lwm2mCborCodec.encode([entry('/3303/0/5700', 21)], path('/3303/0/5700'), registry);
    expect(result.success && result.data.toString('hex')).toBe('a183190ce700191644fa41a80000');
  });

  it('decodes indefinite-length maps and array keys spanning several levels, as other clients send them', () => {
    // {_ [13, 26, 1]: 42} with an indefinite-length map, object 13 unknown to the registry.
    const result = lwm2mCborCodec.decode(hex('bf 83 0d 18 1a 01 18 2a ff'), path('/'), registry);
    expect(result.success && result.data).toEqual([entry('/13/26/1', 42)]);
  });

  it('decodes keys that mix single ids and arrays at different depths', () => {
    // {3: {[0, 9]: 87, 0: {0: "A"}}}
    const result = lwm2mCborCodec.decode(hex('a1 03 a2 82 00 09 18 57 00 a1 00 61 41'), path('/3'), registry);
    expect(result.success && result.data).toEqual([entry('/3/0/9', 87), entry('/3/0/0', 'A')]);
  });

  it('is in the codec registry under 11544', () => {
    const encoded = encodeContent(11544, DEVICE_ENTRIES, path('/3/0'));
    expect(encoded.success && decodeContent(11544, encoded.data, path('/3/0'))).toEqual({ success: true, data: DEVICE_ENTRIES });
  });

  it.each([
    ['a payload that is not a map', '83 01 02 03', /must be a CBOR map/],
    ['a text key', 'a1 61 41 01', /not a path id/],
    ['an id above 65535', 'a1 1a 00010000 01', /not a path id/],
    ['a path deeper than four levels', 'a1 85 03 00 06 00 01 01', /not a path id|deeper/],
    ['a value on an instance', 'a1 82 03 00 01', /not a resource/],
    ['a value outside the request path', 'a1 83 05 00 03 01', /outside/],
    ['a value of the wrong type', 'a1 83 03 00 00 01', /is string/],
    ['an array value', 'a1 83 03 00 09 82 01 02', /not a resource value/],
  ])('refuses %s', (_name, bytes, reason) => {
    const result = lwm2mCborCodec.decode(hex(bytes), path('/3/0'), registry);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.message).toMatch(reason);
  });

  it('refuses to encode a resource given twice or a path outside the request', () => {
    expect(lwm2mCborCodec.encode([entry('/3/0/9', 1), entry('/3/0/9', 2)], path('/3/0'), registry).success).toBe(false);
    expect(lwm2mCborCodec.encode([entry('/5/0/3', 1)], path('/3/0'), registry).success).toBe(false);
    expect(lwm2mCborCodec.encode([entry('/3/0/6', 1), entry('/3/0/6/0', 1)], path('/3/0'), registry).success).toBe(false);
  });
});
