/**
 * Which content format to ask a device for (the Accept option of Read and Observe), and in which
 * order to fall back when it answers 4.06 Not Acceptable or drops a request whose Accept it does
 * not know (LwM2M TS 1.1 §5.4.1: a client answers 4.06 to a format it does not support; some 1.0
 * clients drop the request instead). The device's announced formats (`ct=` on the root link,
 * TS 1.1 §6.2.1) come first; a format that worked before comes before everything.
 */
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import type { LwM2mVersion } from '../lwm2m/registrationRequest.ts';

/** A request without Accept: the device answers in a format of its choosing. */
export const NO_ACCEPT = 'none';

/** What a read asks for: a content format, or no Accept at all. */
export type ReadFormat = number | typeof NO_ACCEPT;

export interface FormatProfile {
  readonly lwm2mVersion: LwM2mVersion;
  /** Formats announced with ct= on the root link. */
  readonly supportedFormats: readonly number[];
  /** What a read last succeeded with (remembered in the registration). */
  readonly negotiatedFormat?: ReadFormat;
}

/**
 * Every format a version may be asked in, most preferred first: SenML-CBOR, SenML-JSON, TLV
 * for 1.1 and 1.2 (TS 1.1 §7.4), LwM2M-CBOR first for a 1.2 client that announced it (TS 1.2
 * §7.4.7), and only TLV for 1.0 (TS 1.0 §6.4: TLV is the one mandatory multi-value format).
 */
function formatsOf(profile: FormatProfile): number[] {
  if (profile.lwm2mVersion === '1.0') return [ContentFormat.TLV];
  const base: number[] = [ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON, ContentFormat.TLV];
  if (profile.lwm2mVersion === '1.2' && profile.supportedFormats.includes(ContentFormat.LWM2M_CBOR)) base.unshift(ContentFormat.LWM2M_CBOR);
  return base;
}

/**
 * The order a read tries: the remembered format, then the announced ones, then the others of
 * the device's version, then no Accept. Each appears once.
 */
export function readFormatCandidates(profile: FormatProfile): ReadFormat[] {
  const formats = formatsOf(profile);
  const announced = formats.filter((format) => profile.supportedFormats.includes(format));
  const order: ReadFormat[] = [...announced, ...formats.filter((format) => !announced.includes(format)), NO_ACCEPT];
  const remembered = profile.negotiatedFormat;
  return remembered === undefined ? order : [remembered, ...order.filter((format) => format !== remembered)];
}

/** The SenML flavours of composite requests (TS 1.1 §5.4.8), the preferred one first. */
export function compositeFormatCandidates(profile: FormatProfile): (typeof ContentFormat.SENML_CBOR | typeof ContentFormat.SENML_JSON)[] {
  const preferJson = profile.negotiatedFormat === ContentFormat.SENML_JSON
    || (profile.supportedFormats.includes(ContentFormat.SENML_JSON) && !profile.supportedFormats.includes(ContentFormat.SENML_CBOR));
  return preferJson ? [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR] : [ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON];
}
