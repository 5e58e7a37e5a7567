/**
 * Packets in and out of the CoAP libraries, in one place (STYLE.md §6): coap-packet's parsed
 * requests become `InboundRequest`s, replies are encoded without it (replyEncoding.ts), answers to
 * the edge's own requests become `DeviceResponse`s straight from coap-packet's parse (`toAnswer`),
 * and node-coap's messages (observations) become `DeviceResponse`s. Every reach into node-coap's
 * private fields (`_packet`, `_nextMessageId`) and internal modules is here, so a node-coap upgrade
 * is checked against this file.
 */
import type { RemoteInfo } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import type { ParsedPacket } from 'coap-packet';
import type coap from 'coap';
// node-coap turns Content-Format option values into media-type names; its own converter turns
// them back. A static import, so a bundle (esbuild, for the container) shares node-coap's registry.
import { toBinary } from 'coap/dist/lib/option_converter.js';
import { CoapOption, contentFormatValue, decodeUint } from './coapOptions.ts';
import { encodeCoapReply } from './replyEncoding.ts';
import type { CoapMethod, DeviceRequest, DeviceResponse, InboundRequest, OutboundResponse } from './transportTypes.ts';

/** A node-coap response that may go on as an observation's notifications (RFC 7641). */
export type ObserveStream = coap.IncomingMessage & EventEmitter & { close?: (eagerDeregister?: boolean) => void };

/** What node-coap keeps of the packet it sent or received; not part of its typed surface. */
interface PrivatePacket {
  readonly _packet?: { readonly messageId?: number; readonly token?: Buffer; readonly options?: readonly { readonly name: string; readonly value: unknown }[] };
}

const METHOD_BY_CODE: Readonly<Record<string, CoapMethod>> = { '0.01': 'GET', '0.02': 'POST', '0.03': 'PUT', '0.04': 'DELETE', '0.05': 'FETCH', '0.07': 'iPATCH' };

const OPTION_NUMBERS: Readonly<Record<string, number>> = {
  'If-Match': 1, 'Uri-Host': 3, ETag: 4, 'If-None-Match': 5, Observe: 6, 'Uri-Port': 7, 'Location-Path': 8, OSCORE: 9,
  'Uri-Path': 11, 'Content-Format': 12, 'Max-Age': 14, 'Uri-Query': 15, 'Hop-Limit': 16, Accept: 17, 'Q-Block1': 19,
  'Location-Query': 20, Block2: 23, Block1: 27, Size2: 28, 'Q-Block2': 31, 'Proxy-Uri': 35, 'Proxy-Scheme': 39, Size1: 60,
  'No-Response': 258,
};

/** The request method of a packet's code; undefined for responses, empty messages and unknown methods. */
export function methodOf(packet: ParsedPacket): CoapMethod | undefined {
  return METHOD_BY_CODE[packet.code];
}

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

export function toInboundRequest(packet: ParsedPacket, method: CoapMethod, remote: RemoteInfo): InboundRequest {
  const pathSegments: string[] = [];
  const queries: string[] = [];
  let contentFormat: number | undefined;
  for (const option of packet.options) {
    const number = optionNumber(option.name);
    if (number === CoapOption.UriPath) pathSegments.push(option.value.toString('utf8'));
    else if (number === CoapOption.UriQuery) queries.push(option.value.toString('utf8'));
    else if (number === CoapOption.ContentFormat && contentFormat === undefined) contentFormat = decodeUint(option.value);
  }
  return {
    method,
    pathSegments,
    query: queries.join('&'),
    payload: packet.payload,
    ...(contentFormat === undefined ? {} : { contentFormat }),
    token: packet.token,
    option: (number) => packet.options.find((o) => optionNumber(o.name) === number)?.value,
    peer: { address: remote.address, port: remote.port },
  };
}

/** A piggybacked ACK for a CON, a NON for a NON (RFC 7252 §5.2). Undefined if it cannot be encoded. */
export function encodeResponse(request: ParsedPacket, response: OutboundResponse): Buffer | undefined {
  const options: (readonly [number, Uint8Array])[] = [];
  for (const segment of response.locationPath ?? []) options.push([CoapOption.LocationPath, Buffer.from(segment)]);
  if (response.contentFormat !== undefined) options.push([CoapOption.ContentFormat, contentFormatValue(response.contentFormat)]);
  if (response.options !== undefined) options.push(...response.options);
  // A stable sort: repeated options (Location-Path) keep their order (RFC 7252 §5.4.5).
  options.sort((a, b) => a[0] - b[0]);
  return encodeCoapReply({ code: response.code, messageId: request.messageId, token: request.token, ack: request.confirmable, options, ...(response.payload === undefined ? {} : { payload: response.payload }) });
}

/** Sets a device request's options on node-coap's outgoing message, by number where node-coap would interfere. */
export function setRequestOptions(outgoing: coap.OutgoingMessage, request: Pick<DeviceRequest, 'contentFormat' | 'accept' | 'options'>): void {
  if (request.contentFormat !== undefined) outgoing.setOption('Content-Format', contentFormatValue(request.contentFormat));
  if (request.accept !== undefined) outgoing.setOption('Accept', contentFormatValue(request.accept));
  // By number, so node-coap does not run its own Block1 segmentation on them.
  for (const [number, value] of request.options ?? []) outgoing.setOption(String(number), value);
}

export function toDeviceResponse(response: coap.IncomingMessage): DeviceResponse {
  const contentFormat = toContentFormatNumber(response.headers['Content-Format']);
  const options = (response as unknown as PrivatePacket)._packet?.options ?? [];
  const location = options.filter((o) => o.name === 'Location-Path').map((o) => String(o.value));
  // node-coap has already turned some option values into numbers or strings (Size1 among them).
  const block1 = options.find((o) => o.name === 'Block1')?.value;
  const size1Value = options.find((o) => o.name === 'Size1')?.value;
  const size1 = typeof size1Value === 'number' ? size1Value : Buffer.isBuffer(size1Value) ? decodeUint(size1Value) : undefined;
  return {
    code: String(response.code),
    payload: Buffer.from(response.payload ?? Buffer.alloc(0)),
    ...(contentFormat === undefined ? {} : { contentFormat }),
    ...(location.length === 0 ? {} : { locationPath: location.join('/') }),
    ...(Buffer.isBuffer(block1) ? { block1 } : {}),
    ...(size1 === undefined ? {} : { size1 }),
  };
}

/** A notification of an observation; its Content-Format, when it names none, is the first response's. */
export function toNotification(stream: ObserveStream, payload: Buffer, fallbackFormat: number | undefined): DeviceResponse {
  const format = toContentFormatNumber(stream.headers['Content-Format']) ?? fallbackFormat;
  return { code: String(stream.code), payload: Buffer.from(payload), ...(format === undefined ? {} : { contentFormat: format }) };
}

/** The first value of an option in a parsed packet, by number. */
export function packetOption(packet: ParsedPacket, number: number): Buffer | undefined {
  for (const option of packet.options) if (optionNumber(option.name) === number) return option.value;
  return undefined;
}

/** A device's answer to one of the edge's own requests (ConfirmableRequests.ts), from the packet the transport parsed. */
export function toAnswer(packet: ParsedPacket): DeviceResponse {
  let contentFormat: number | undefined;
  let location: string | undefined;
  let block1: Buffer | undefined;
  let size1: number | undefined;
  for (const option of packet.options) {
    const number = optionNumber(option.name);
    if (number === CoapOption.ContentFormat) contentFormat ??= decodeUint(option.value);
    else if (number === CoapOption.LocationPath) location = location === undefined ? option.value.toString('utf8') : `${location}/${option.value.toString('utf8')}`;
    else if (number === CoapOption.Block1) block1 ??= option.value;
    else if (number === CoapOption.Size1) size1 ??= decodeUint(option.value);
  }
  return {
    code: packet.code,
    payload: packet.payload,
    ...(contentFormat === undefined ? {} : { contentFormat }),
    ...(location === undefined ? {} : { locationPath: location }),
    ...(block1 === undefined ? {} : { block1 }),
    ...(size1 === undefined ? {} : { size1 }),
  };
}

/** node-coap's Agent takes its message ids from `next`: one sequence for its requests and the edge's own (RFC 7252 §4.4). */
export function shareMessageIds(agent: coap.Agent, next: () => number): void {
  (agent as unknown as { _nextMessageId: () => number })._nextMessageId = next;
}

/** The token node-coap chose for a request (set when the request is sent), in hex. */
export function tokenOf(outgoing: coap.OutgoingMessage): string | undefined {
  const token = (outgoing as unknown as PrivatePacket)._packet?.token;
  return token === undefined || token.length === 0 ? undefined : token.toString('hex');
}
