import { describe, expect, it } from 'vitest';
import { entriesToRecord } from '../../../core/codecs/index.ts';
import { lwm2mJsonCodec } from '../../../core/codecs/lwm2mJson.ts';
import type { LwM2mEntry } from '../../../core/codecs/model.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { LWM2M_JSON_DEVICE } from './fixtures.ts';
import { entry, path } from './helpers.ts';

const registry = defaultObjectRegistry;
const json = (text: string): Buffer => Buffer.from(text, 'utf8');
const DEVICE_ENTRIES: LwM2mEntry[] = [
  entry('/3/0/0', 'ACME'),
  entry('/3/0/9', 100),
  entry('/3/0/6/0', 1),
  entry('/3/0/13', new Date(1367491215000)),
];

describe('lwm2mJsonCodec', () => {
  it('decodes bn plus entry names with registry types', () => {
    const result = lwm2mJsonCodec.decode(json(LWM2M_JSON_DEVICE), path('/3/0'), registry);
    expect(result.success && result.data).toEqual(DEVICE_ENTRIES);
  });

  it('encodes to the golden text', () => {
    const result = lwm2mJsonCodec.encode(DEVICE_ENTRIES, path('/3/0'), registry);
    expect(result.success && result.data.toString()).toBe(LWM2M_JSON_DEVICE);
  });

  it('reads bv, ov and opaque sv as base64', () => {
    // Prepare
    const text = '{"e":[{"n":"/1/0/6","bv":true},{"n":"/1/0/10","ov":"11:0"},{"n":"/5/0/0","sv":"AQI="}]}';

    // Act
    const result = lwm2mJsonCodec.decode(json(text), path('/'), registry);

    // Assess
    expect(result.success && entriesToRecord(result.data)).toEqual({
      '/1/0/6': true,
      '/1/0/10': { objectId: 11, instanceId: 0 },
      '/5/0/0': Buffer.from([1, 2]),
    });
  });

  it('writes opaque values as padded base64 in sv', () => {
    const result = lwm2mJsonCodec.encode([entry('/5/0/0', Buffer.from([1, 2]))], path('/5/0/0'), registry);
    expect(result.success && result.data.toString()).toBe('{"bn":"/5/0/0","e":[{"sv":"AQI="}]}');
  });

  it.each([
    ['an array at the top', '[]'],
    ['a missing e', '{"bn":"/3/0/"}'],
    ['a non-string bn', '{"bn":3,"e":[]}'],
    ['an entry that is not an object', '{"e":[1]}'],
    ['a string v', '{"bn":"/3/0/","e":[{"n":"9","v":"1"}]}'],
    ['a numeric sv', '{"bn":"/3/0/","e":[{"n":"0","sv":1}]}'],
    ['an invalid base64 opaque', '{"bn":"/5/0/","e":[{"n":"0","sv":"**"}]}'],
    ['two values', '{"bn":"/3/0/","e":[{"n":"9","v":1,"sv":"1"}]}'],
    ['a name outside the request path', '{"bn":"/4/0/","e":[{"n":"0","v":1}]}'],
  ])('rejects %s', (_case, text) => {
    expect(lwm2mJsonCodec.decode(json(text), path('/3/0'), registry).success).toBe(false);
  });

  it('round-trips values of every type', () => {
    // Prepare
    const entries = [
      entry('/1/0/7', 'UQ'),
      entry('/1/0/6', false),
      entry('/1/0/10', { objectId: 11, instanceId: 1 }),
      entry('/1/0/12', new Date(1700000000000)),
      entry('/3/0/9', 2n ** 62n),
      entry('/5/0/0', Buffer.from('firmware')),
    ];

    // Act
    const bytes = lwm2mJsonCodec.encode(entries, path('/'), registry);
    const back = bytes.success ? lwm2mJsonCodec.decode(bytes.data, path('/'), registry) : bytes;

    // Assess: 2^62 survives JSON.parse because it is a power of two
    expect(back.success && back.data).toEqual(entries);
  });
});
