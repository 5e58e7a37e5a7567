import { describe, expect, it } from 'vitest';
import { codecRegistry, decodeContent, encodeContent, entriesToRecord } from '../../../core/codecs/index.ts';
import { ContentFormat } from '../../../core/lwm2m/ContentFormat.ts';
import { CodecError } from '../../../core/lwm2m/errors.ts';
import { ObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { TLV_SERVER_OBJECT } from './fixtures.ts';
import { entry, path } from './helpers.ts';

describe('codec registry', () => {
  it('holds one codec per supported format, keyed by its own format', () => {
    expect([...codecRegistry.keys()].sort((a, b) => a - b)).toEqual([0, 42, 60, 110, 112, 11542, 11543, 11544]);
    for (const [format, codec] of codecRegistry) expect(codec.format).toBe(format);
  });

  it('decodes with the default object registry', () => {
    const result = decodeContent(ContentFormat.TLV, TLV_SERVER_OBJECT, path('/1'));
    expect(result.success && entriesToRecord(result.data)['/1/0/1']).toBe(86400);
  });

  it('accepts the legacy TLV number 1542', () => {
    expect(decodeContent(1542, TLV_SERVER_OBJECT, path('/1')).success).toBe(true);
  });

  it('accepts the legacy LwM2M JSON number 1543', () => {
    const result = decodeContent(1543, Buffer.from('{"bn":"/3/0/","e":[{"n":"9","v":100}]}'), path('/3/0'));
    expect(result.success && result.data).toEqual([entry('/3/0/9', 100)]);
  });

  it('answers an unknown format with a CodecError naming it', () => {
    // Act
    const result = decodeContent(9999, Buffer.from('x'), path('/3/0/0'));

    // Assess
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error).toBeInstanceOf(CodecError);
      expect(result.error.message).toBe('unsupported content format 9999');
      expect(result.error.format).toBe(9999);
    }
  });

  it('uses a given object registry instead of the default', () => {
    // Act: with an empty registry, /3/0/9 is unknown and text stays a string
    const result = decodeContent(ContentFormat.TEXT, Buffer.from('100'), path('/3/0/9'), new ObjectRegistry());

    // Assess
    expect(result.success && result.data[0]?.value).toBe('100');
  });

  it('encodes through the registry', () => {
    const result = encodeContent(ContentFormat.TEXT, [entry('/3/0/9', 100)], path('/3/0/9'));
    expect(result.success && result.data.toString()).toBe('100');
  });

  it('refuses to encode an unknown format', () => {
    expect(encodeContent(ContentFormat.LINK_FORMAT, [entry('/3/0/9', 100)], path('/3/0/9')).success).toBe(false);
  });

  it('keys values by path string, the last repeated path winning', () => {
    expect(entriesToRecord([entry('/3/0/9', 1), entry('/3/0/6/0', 2), entry('/3/0/9', 3)])).toEqual({ '/3/0/9': 3, '/3/0/6/0': 2 });
  });
});
