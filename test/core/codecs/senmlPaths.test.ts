import { describe, expect, it } from 'vitest';
import { decodePathList, decodeTimedSenml, encodePathList } from '../../../core/codecs/senmlPaths.ts';
import { ContentFormat } from '../../../core/lwm2m/ContentFormat.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { hex } from './fixtures.ts';
import { path } from './helpers.ts';

const NOW = 1_700_000_000_000;

describe('composite path lists (Read-Composite, Observe-Composite)', () => {
  it('are written in SenML JSON as records with a name only', () => {
    const encoded = encodePathList(ContentFormat.SENML_JSON, [path('/3/0/9'), path('/3303/0'), path('/')]);
    expect(encoded.success && encoded.data.toString()).toBe('[{"n":"/3/0/9"},{"n":"/3303/0"},{"n":"/"}]');
  });

  it('are written in SenML CBOR with the integer label 0 for the name', () => {
    const encoded = encodePathList(ContentFormat.SENML_CBOR, [path('/3/0/9')]);
    expect(encoded.success && encoded.data.toString('hex')).toBe(hex('81 a1 00 66 2f 33 2f 30 2f 39').toString('hex'));
  });

  it('are read back with base names resolved and the root allowed', () => {
    const decoded = decodePathList(ContentFormat.SENML_JSON, Buffer.from('[{"bn":"/3/0/","n":"9"},{"n":"13"},{"bn":"","n":"/"}]'));
    expect(decoded.success && decoded.data.map((p) => p.toString())).toEqual(['/3/0/9', '/3/0/13', '/']);
  });

  it('refuse records carrying a value, names that are not paths, and an empty list', () => {
    expect(decodePathList(ContentFormat.SENML_JSON, Buffer.from('[{"n":"/3/0/9","v":1}]')).success).toBe(false);
    expect(decodePathList(ContentFormat.SENML_JSON, Buffer.from('[{"n":"/three"}]')).success).toBe(false);
    expect(decodePathList(ContentFormat.SENML_JSON, Buffer.from('[]')).success).toBe(false);
  });
});

describe('timed SenML (Send, RFC 8428 §4.5.3)', () => {
  it('takes absolute base times plus offsets as epoch times', () => {
    const pack = '[{"bn":"/3303/0/","bt":1700000000,"n":"5700","v":21.5},{"n":"5700","t":60,"v":22}]';
    const decoded = decodeTimedSenml(ContentFormat.SENML_JSON, Buffer.from(pack), defaultObjectRegistry, NOW);
    expect(decoded.success && decoded.data.map((e) => [e.path.toString(), e.value, e.time])).toEqual([
      ['/3303/0/5700', 21.5, 1_700_000_000_000],
      ['/3303/0/5700', 22, 1_700_000_060_000],
    ]);
  });

  it('reads small or negative times as seconds relative to now', () => {
    const decoded = decodeTimedSenml(ContentFormat.SENML_JSON, Buffer.from('[{"n":"/3/0/9","t":-30,"v":80}]'), defaultObjectRegistry, NOW);
    expect(decoded.success && decoded.data[0]?.time).toBe(NOW - 30_000);
  });

  it('leaves the time out when the pack has none', () => {
    const decoded = decodeTimedSenml(ContentFormat.SENML_JSON, Buffer.from('[{"n":"/3/0/9","v":80}]'), defaultObjectRegistry, NOW);
    expect(decoded.success && decoded.data[0]).toEqual({ path: path('/3/0/9'), value: 80 });
  });
});
