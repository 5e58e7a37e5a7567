import { Decoder, Encoder, type Options } from 'cbor-x';
import { fail, ok, type Result } from '../result.ts';
import { CodecError } from '../lwm2m/errors.ts';

/**
 * The one place cbor-x is configured. Maps decode as `Map` so integer labels (SenML-CBOR,
 * RFC 8428 §6) stay integers; no record/structure extensions; Uint8Array is a plain byte string
 * (not tag 64); maps are not wrapped in tag 259.
 */
const DECODER_OPTIONS: Options = { mapsAsObjects: false, useRecords: false };
const ENCODER_OPTIONS: Options & { readonly useTag259ForMaps: boolean } = {
  mapsAsObjects: false,
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false,
};
const encoder = new Encoder(ENCODER_OPTIONS);

/** Decodes exactly one CBOR data item; trailing bytes and every cbor-x throw become CodecError. */
export function decodeCbor(payload: Uint8Array, format: number): Result<unknown, CodecError> {
  if (payload.length === 0) return fail(new CodecError(format, 'empty CBOR payload'));
  try {
    // A fresh decoder per payload: cbor-x keeps record definitions a payload may declare.
    return ok(new Decoder(DECODER_OPTIONS).decode(payload) as unknown);
  } catch (cause) {
    return fail(new CodecError(format, `invalid CBOR: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
  }
}

/** Encodes one data item into a Buffer the caller owns (cbor-x reuses its output buffer). */
export function encodeCbor(value: unknown, format: number): Result<Buffer, CodecError> {
  try {
    return ok(Buffer.from(encoder.encode(value)));
  } catch (cause) {
    return fail(new CodecError(format, 'value cannot be encoded as CBOR', { cause }));
  }
}

/** CBOR float: single precision when exact, else double (RFC 8949 §3.3, §4.2.2 preferred). */
export function encodeCborFloat(value: number): Buffer {
  if (Math.fround(value) === value || Number.isNaN(value)) {
    const bytes = Buffer.alloc(5);
    bytes.writeUInt8(0xfa, 0);
    bytes.writeFloatBE(value, 1);
    return bytes;
  }
  const bytes = Buffer.alloc(9);
  bytes.writeUInt8(0xfb, 0);
  bytes.writeDoubleBE(value, 1);
  return bytes;
}
