import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cborCodec } from '../../../core/codecs/cbor.ts';
import type { Codec } from '../../../core/codecs/model.ts';
import { lwm2mCborCodec } from '../../../core/codecs/lwm2mCbor.ts';
import { lwm2mJsonCodec } from '../../../core/codecs/lwm2mJson.ts';
import { opaqueCodec } from '../../../core/codecs/opaque.ts';
import { senmlCborCodec } from '../../../core/codecs/senmlCbor.ts';
import { senmlJsonCodec } from '../../../core/codecs/senmlJson.ts';
import { textCodec } from '../../../core/codecs/text.ts';
import { tlvCodec } from '../../../core/codecs/tlv.ts';
import { CodecError } from '../../../core/lwm2m/errors.ts';
import type { LwM2mPath } from '../../../core/lwm2m/LwM2mPath.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import {
  hex, LWM2M_CBOR_DEVICE, LWM2M_CBOR_ROOT, LWM2M_JSON_DEVICE, SENML_CBOR_DEVICE, SENML_CBOR_TEMPERATURE, SENML_JSON_DEVICE, TLV_ACCESS_CONTROL, TLV_DEVICE_INSTANCE, TLV_SERVER_OBJECT,
} from './fixtures.ts';
import { path } from './helpers.ts';

const NUM_RUNS = 2000;
const REQUEST_PATHS = ['/', '/1', '/2', '/3', '/3/0', '/1/0', '/3/0/6', '/3/0/9', '/3/0/13', '/3/0/6/1', '/5/0/0', '/1/0/10', '/3303/0/5700']
  .map(path);

/** Valid payloads to mutate, with the path each was read at. */
const GOLDEN: Record<string, readonly (readonly [Buffer, string])[]> = {
  tlv: [[TLV_DEVICE_INSTANCE, '/3/0'], [TLV_SERVER_OBJECT, '/1'], [TLV_ACCESS_CONTROL, '/2']],
  senmlJson: [[Buffer.from(SENML_JSON_DEVICE), '/3/0']],
  senmlCbor: [[SENML_CBOR_DEVICE, '/3/0'], [SENML_CBOR_TEMPERATURE, '/3303/0/5700']],
  cbor: [[hex('1a5182428f'), '/3/0/13'], [hex('fa41c40000'), '/3303/0/5700'], [hex('63333a30'), '/1/0/10']],
  text: [[Buffer.from('1367491215'), '/3/0/13'], [Buffer.from('24.5'), '/3303/0/5700'], [Buffer.from('11:0'), '/1/0/10']],
  opaque: [[Buffer.from([1, 2, 3]), '/5/0/0']],
  lwm2mJson: [[Buffer.from(LWM2M_JSON_DEVICE), '/3/0']],
  lwm2mCbor: [[LWM2M_CBOR_DEVICE, '/3/0'], [LWM2M_CBOR_ROOT, '/']],
};

const CODECS: readonly (readonly [string, Codec])[] = [
  ['tlv', tlvCodec],
  ['senmlJson', senmlJsonCodec],
  ['senmlCbor', senmlCborCodec],
  ['cbor', cborCodec],
  ['text', textCodec],
  ['opaque', opaqueCodec],
  ['lwm2mJson', lwm2mJsonCodec],
  ['lwm2mCbor', lwm2mCborCodec],
];

/** A decode either fails with a CodecError or yields resource entries under the request path. */
function assertWellBehaved(codec: Codec, payload: Uint8Array, requestPath: LwM2mPath): void {
  let result: ReturnType<Codec['decode']> | undefined;
  expect(() => {
    result = codec.decode(payload, requestPath, defaultObjectRegistry);
  }).not.toThrow();
  if (result === undefined) return;
  if (!result.success) {
    expect(result.error).toBeInstanceOf(CodecError);
    return;
  }
  for (const { path: entryPath } of result.data) {
    expect(['resource', 'resourceInstance']).toContain(entryPath.level);
    expect(requestPath.isPrefixOf(entryPath)).toBe(true);
  }
}

/** Flips, overwrites, inserts or truncates bytes of a golden payload. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0));
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[at] = (out[at] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (out.length > 0) out[at] = m.byte;
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), Buffer.from([m.byte]), out.subarray(at)]);
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}

describe.each(CODECS)('%s decoder on hostile input', (name, codec) => {
  it('returns a CodecError or valid entries for random bytes, never throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.constantFrom(...REQUEST_PATHS), (payload, requestPath) => {
        assertWellBehaved(codec, payload, requestPath);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('returns a CodecError or valid entries for mutated golden payloads, never throwing', () => {
    const golden = (GOLDEN[name] ?? []).map(([bytes, at]) => [bytes, path(at)] as const);
    fc.assert(
      fc.property(fc.constantFrom(...golden), fc.array(mutation, { minLength: 1, maxLength: 4 }), ([bytes, requestPath], mutations) => {
        assertWellBehaved(codec, mutate(bytes, mutations), requestPath);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('decoders on claimed lengths', () => {
  it('reject a TLV claiming 16 MB without allocating it', () => {
    expect(tlvCodec.decode(hex('D8 00 FF FF FF'), path('/3/0'), defaultObjectRegistry).success).toBe(false);
  });

  it('reject CBOR claiming 2^32 array items', () => {
    expect(senmlCborCodec.decode(hex('9a ffffffff'), path('/'), defaultObjectRegistry).success).toBe(false);
  });

  it('reject CBOR claiming a 4 GB byte string', () => {
    expect(cborCodec.decode(hex('5a ffffffff 00'), path('/5/0/0'), defaultObjectRegistry).success).toBe(false);
  });
});
