/**
 * The code and options of a request to a device (RFC 7252 §5.10), in ascending option number as
 * the encoder takes them. The Uri-Path options of a path are made once and reused: the edge asks
 * a fleet the same few paths (/3/0 after every Register), so a request costs an array, not a
 * buffer per segment.
 */
import { CoapOption, contentFormatValue } from './coapOptions.ts';
import type { CoapMethod, DeviceRequest } from './transportTypes.ts';

export type RequestOption = readonly [number, Uint8Array];

const CODE_BY_METHOD: Readonly<Record<CoapMethod, string>> = { GET: '0.01', POST: '0.02', PUT: '0.03', DELETE: '0.04', FETCH: '0.05', iPATCH: '0.07' };

/** Paths whose Uri-Path options are kept; past this many the memory starts again (a bound, not an LRU: the hot paths come back at once). */
const MAX_CACHED_PATHS = 1024;
const uriPathOptions = new Map<string, readonly RequestOption[]>();

export function requestCode(method: CoapMethod): string {
  return CODE_BY_METHOD[method];
}

/** Uri-Path, Content-Format, Uri-Query, Accept and the request's own options, sorted by number (repeated ones keep their order). */
export function requestOptions(request: Pick<DeviceRequest, 'path' | 'query' | 'contentFormat' | 'accept' | 'options'>): RequestOption[] {
  const options: RequestOption[] = [...uriPath(request.path)];
  if (request.contentFormat !== undefined) options.push([CoapOption.ContentFormat, contentFormatValue(request.contentFormat)]);
  for (const part of (request.query ?? '').split('&')) if (part !== '') options.push([CoapOption.UriQuery, Buffer.from(part.normalize('NFC'))]);
  if (request.accept !== undefined) options.push([CoapOption.Accept, contentFormatValue(request.accept)]);
  if (request.options !== undefined && request.options.length > 0) {
    options.push(...request.options);
    // A stable sort: the request's own options may sit anywhere among the others.
    options.sort((a, b) => a[0] - b[0]);
  }
  return options;
}

/** The same options with Block2 set to `value` (replacing one the request had), in order. */
export function withBlock2(options: readonly RequestOption[], value: Buffer): RequestOption[] {
  const result = options.filter(([number]) => number !== CoapOption.Block2);
  const at = result.findIndex(([number]) => number > CoapOption.Block2);
  result.splice(at === -1 ? result.length : at, 0, [CoapOption.Block2, value]);
  return result;
}

function uriPath(path: string): readonly RequestOption[] {
  let options = uriPathOptions.get(path);
  if (options === undefined) {
    options = path
      .normalize('NFC')
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment): RequestOption => [CoapOption.UriPath, Buffer.from(segment)]);
    if (uriPathOptions.size >= MAX_CACHED_PATHS) uriPathOptions.clear();
    uriPathOptions.set(path, options);
  }
  return options;
}
