// node-coap turns Content-Format option values into media-type names; its own converter turns
// them back. A static import, so a bundle (esbuild, for the container) shares node-coap's registry.
import { toBinary } from 'coap/dist/lib/option_converter.js';
import { decodeUint } from './coapOptions.ts';

const OPTION_NUMBERS: Readonly<Record<string, number>> = {
  'If-Match': 1, 'Uri-Host': 3, ETag: 4, 'If-None-Match': 5, Observe: 6, 'Uri-Port': 7, 'Location-Path': 8, OSCORE: 9,
  'Uri-Path': 11, 'Content-Format': 12, 'Max-Age': 14, 'Uri-Query': 15, 'Hop-Limit': 16, Accept: 17, 'Q-Block1': 19,
  'Location-Query': 20, Block2: 23, Block1: 27, Size2: 28, 'Q-Block2': 31, 'Proxy-Uri': 35, 'Proxy-Scheme': 39, Size1: 60,
  'No-Response': 258,
};

/** coap-packet names known options and stringifies the number of unknown ones. */
export function optionNumber(name: string | number): number {
  if (typeof name === 'number') return name;
  return OPTION_NUMBERS[name] ?? Number.parseInt(name, 10);
}

export function toContentFormatNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return decodeUint(value);
  if (typeof value !== 'string') return undefined;
  try {
    return decodeUint(toBinary('Content-Format', value) as Buffer);
  } catch {
    return undefined;
  }
}
