import { describe, expect, it } from 'vitest';
import { compositeFormatCandidates, NO_ACCEPT, readFormatCandidates } from '../../../core/devices/formatNegotiation.ts';
import { ContentFormat } from '../../../core/lwm2m/ContentFormat.ts';

const { SENML_CBOR, SENML_JSON, TLV, LWM2M_CBOR } = ContentFormat;

describe('readFormatCandidates', () => {
  it('asks a 1.0 client in TLV, then without Accept', () => {
    expect(readFormatCandidates({ lwm2mVersion: '1.0', supportedFormats: [] })).toEqual([TLV, NO_ACCEPT]);
  });

  it('asks a 1.1 client that announced nothing in SenML-CBOR, SenML-JSON, TLV, then without Accept', () => {
    expect(readFormatCandidates({ lwm2mVersion: '1.1', supportedFormats: [] })).toEqual([SENML_CBOR, SENML_JSON, TLV, NO_ACCEPT]);
  });

  it('asks a 1.1 client in the formats it announced first, in the order of preference', () => {
    expect(readFormatCandidates({ lwm2mVersion: '1.1', supportedFormats: [TLV, SENML_JSON] })).toEqual([SENML_JSON, TLV, SENML_CBOR, NO_ACCEPT]);
  });

  it('asks a 1.2 client in LwM2M-CBOR first only when it announced it', () => {
    expect(readFormatCandidates({ lwm2mVersion: '1.2', supportedFormats: [LWM2M_CBOR, SENML_CBOR] })).toEqual([LWM2M_CBOR, SENML_CBOR, SENML_JSON, TLV, NO_ACCEPT]);
    expect(readFormatCandidates({ lwm2mVersion: '1.2', supportedFormats: [] })).not.toContain(LWM2M_CBOR);
  });

  it('asks in the format that worked before everything else, and lists every format once', () => {
    expect(readFormatCandidates({ lwm2mVersion: '1.1', supportedFormats: [SENML_CBOR], negotiatedFormat: TLV })).toEqual([TLV, SENML_CBOR, SENML_JSON, NO_ACCEPT]);
    expect(readFormatCandidates({ lwm2mVersion: '1.0', supportedFormats: [], negotiatedFormat: NO_ACCEPT })).toEqual([NO_ACCEPT, TLV]);
  });
});

describe('compositeFormatCandidates', () => {
  it('uses SenML-CBOR first unless only SenML-JSON was announced or remembered', () => {
    expect(compositeFormatCandidates({ lwm2mVersion: '1.1', supportedFormats: [] })).toEqual([SENML_CBOR, SENML_JSON]);
    expect(compositeFormatCandidates({ lwm2mVersion: '1.1', supportedFormats: [SENML_JSON] })).toEqual([SENML_JSON, SENML_CBOR]);
    expect(compositeFormatCandidates({ lwm2mVersion: '1.1', supportedFormats: [], negotiatedFormat: SENML_JSON })).toEqual([SENML_JSON, SENML_CBOR]);
  });
});
