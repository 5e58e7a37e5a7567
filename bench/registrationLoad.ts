/**
 * The registration side of the project's own load generator (bench/coapLoad.ts has the Block2
 * side), the same for every target (the edge, libcoap's coap-rd): devices, each on its own loopback
 * address, Register `outstanding` at a time and answer the server's Read of /3/0. It must never be
 * the bottleneck, so it stays lean: a Register is a prebuilt packet with only its endpoint, message
 * id and token written in; a datagram is read by its header bytes (type, code, message id, token
 * length) and, for the 2.01 alone, its options up to Location-Path; the Read's answer is a
 * prebuilt reply with the message id and token copied in; one timer drives every retransmission
 * and every wait, and a device is a plain object, not a chain of promises.
 */
import { createSocket, type Socket } from 'node:dgram';
import { encodeContent } from '../core/codecs/index.ts';
import { ContentFormat } from '../core/lwm2m/ContentFormat.ts';
import { LwM2mPath } from '../core/lwm2m/LwM2mPath.ts';
import { literalFirstLookup } from '../coap-edge/transport/literalLookup.ts';
import { exchange } from './coapLoad.ts';

/** How long a registered device stays to answer the server's Read of /3/0 (a loaded server reads late). */
const READ_WAIT_MS = 20_000;
/** RFC 7252 §4.8 transmission parameters. */
const ACK_TIMEOUT_MS = 2_000;
const MAX_RETRANSMIT = 4;
/** How often the one timer looks for retransmissions due and waits that ended. */
const TICK_MS = 50;

const VERSION_1 = 0x40;
const TYPE_ACK = 0x20;
const CODE_CREATED = 0x41; // 2.01
const CODE_CONTENT = 0x45; // 2.05
const CODE_CHANGED = 0x44; // 2.04
const OPTION_LOCATION_PATH = 8;
const OPTION_URI_QUERY = 15;
const PAYLOAD_MARKER = 0xff;

export interface RegistrationBurstOptions {
  readonly port: number;
  readonly devices: number;
  /** Registers on the wire at once. */
  readonly outstanding: number;
  /** Endpoint names are `${prefix}-${n}`; loopback addresses are drawn from `firstDevice` on. */
  readonly prefix: string;
  readonly firstDevice?: number;
  /**
   * After its 2.01 a device waits for the server's Read of /3/0 (the edge does one; coap-rd
   * does not) and answers it, then closes its socket. When false it closes at once.
   */
  readonly answerReads: boolean;
  /** Keep the sockets open and return them, so the devices can send registration Updates. */
  readonly keepOpen?: boolean;
}

export interface RegistrationBurst {
  readonly registered: number;
  /** Devices that got no 2.01 with a Location-Path after every retransmission. */
  readonly failed: number;
  readonly perSecond: number;
  readonly latenciesMs: readonly number[];
  /** The devices still open (keepOpen): their socket and Location-Path. */
  readonly open: readonly RegisteredDevice[];
}

export interface RegisteredDevice {
  readonly socket: Socket;
  readonly location: readonly string[];
}

/** The options of a Register before and after its endpoint (`ep=`), and its payload. */
interface RegisterTemplate {
  /** Uri-Path "rd", Content-Format 40: options 11 and 12. */
  readonly before: Buffer;
  /** lt, lwm2m, b (more Uri-Query), the payload marker and the ten object links. */
  readonly after: Buffer;
}

/** LwM2M 1.0 Register with ten objects (content-format 40), as a meter announces them. */
const REGISTER_TEMPLATE: RegisterTemplate = {
  before: Buffer.concat([option(11, 0, Buffer.from('rd')), option(12, 11, Buffer.from([ContentFormat.LINK_FORMAT]))]),
  after: Buffer.concat([
    option(OPTION_URI_QUERY, OPTION_URI_QUERY, Buffer.from('lt=86400')),
    option(OPTION_URI_QUERY, OPTION_URI_QUERY, Buffer.from('lwm2m=1.0')),
    option(OPTION_URI_QUERY, OPTION_URI_QUERY, Buffer.from('b=U')),
    Buffer.from([PAYLOAD_MARKER]),
    Buffer.from('</1/0>,</3/0>,</4/0>,</5/0>,</6/0>,</7/0>,</3303/0>,</3304/0>,</3316/0>,</3328/0>'),
  ]),
};

/** What a device answers the server's Read with, after the header and token: Content-Format TLV and the Device object. */
const READ_ANSWER_BODY = (() => {
  const text = (resource: number, value: string) => ({ path: LwM2mPath.of(3, 0, resource), value });
  const encoded = encodeContent(ContentFormat.TLV, [text(0, 'Bench Meters'), text(1, 'BENCH-1'), text(3, '1.0.0')], LwM2mPath.of(3, 0));
  if (!encoded.success) throw encoded.error;
  return Buffer.concat([option(12, 0, Buffer.from([ContentFormat.TLV >> 8, ContentFormat.TLV & 0xff])), Buffer.from([PAYLOAD_MARKER]), encoded.data]);
})();

/** One option in delta form (RFC 7252 §3.1), for values and deltas under 269 bytes. */
function option(number: number, previous: number, value: Buffer): Buffer {
  const delta = number - previous;
  const head = [(nibble(delta) << 4) | nibble(value.length)];
  if (delta >= 13) head.push(delta - 13);
  if (value.length >= 13) head.push(value.length - 13);
  return Buffer.concat([Buffer.from(head), value]);
}

function nibble(value: number): number {
  if (value >= 269) throw new Error(`option delta or length ${value}: not in this generator's packets`);
  return value < 13 ? value : 13;
}

/** Device k's Register: a CON POST with message id and 4-byte token from k, its endpoint `${prefix}-${k}`. */
function registerPacket(prefix: string, device: number): Buffer {
  const endpoint = Buffer.from(`ep=${prefix}-${device}`);
  const epOption = option(OPTION_URI_QUERY, 12, endpoint);
  const packet = Buffer.allocUnsafe(8 + REGISTER_TEMPLATE.before.length + epOption.length + REGISTER_TEMPLATE.after.length);
  packet[0] = VERSION_1 | 4; // CON, token length 4
  packet[1] = 0x02; // POST
  packet.writeUInt16BE(device & 0xffff, 2);
  packet.writeUInt32BE(device >>> 0, 4);
  let offset = 8;
  offset += REGISTER_TEMPLATE.before.copy(packet, offset);
  offset += epOption.copy(packet, offset);
  REGISTER_TEMPLATE.after.copy(packet, offset);
  return packet;
}

/** The Read's answer: a piggybacked ACK 2.05 with the request's message id and token. */
function readAnswer(request: Buffer): Buffer {
  const tokenLength = (request[0] ?? 0) & 0x0f;
  const reply = Buffer.allocUnsafe(4 + tokenLength + READ_ANSWER_BODY.length);
  reply[0] = VERSION_1 | TYPE_ACK | tokenLength;
  reply[1] = CODE_CONTENT;
  request.copy(reply, 2, 2, 4 + tokenLength);
  READ_ANSWER_BODY.copy(reply, 4 + tokenLength);
  return reply;
}

/** The Location-Path segments of a reply (RFC 7252 §3.1 option walk); empty when it has none. */
function locationPath(reply: Buffer): string[] {
  const segments: string[] = [];
  let offset = 4 + ((reply[0] ?? 0) & 0x0f);
  let number = 0;
  while (offset < reply.length && reply[offset] !== PAYLOAD_MARKER) {
    const byte = reply[offset++] ?? 0;
    let delta = byte >> 4;
    let length = byte & 0x0f;
    if (delta === 13) delta = 13 + (reply[offset++] ?? 0);
    else if (delta === 14) {
      delta = 269 + reply.readUInt16BE(offset);
      offset += 2;
    }
    if (length === 13) length = 13 + (reply[offset++] ?? 0);
    else if (length === 14) {
      length = 269 + reply.readUInt16BE(offset);
      offset += 2;
    }
    number += delta;
    if (number === OPTION_LOCATION_PATH) segments.push(reply.toString('utf8', offset, offset + length));
    else if (number > OPTION_LOCATION_PATH) break;
    offset += length;
  }
  return segments;
}

/** Device k's own loopback address (127.1.0.1 ...), so 20,000 devices are 20,000 distinct peers. */
function addressOf(device: number): string {
  const host = device % 250;
  const rest = Math.floor(device / 250);
  return `127.${1 + Math.floor(rest / 250)}.${rest % 250}.${host + 1}`;
}

/** One simulated device from its Register until it closes. */
interface Device {
  readonly number: number;
  readonly socket: Socket;
  readonly request: Buffer;
  sentAt: number;
  /** When the next retransmission is due (registering), or when the wait for the Read ends. */
  dueAt: number;
  waitMs: number;
  retransmissions: number;
  registered: boolean;
  readAnswered: boolean;
  closed: boolean;
}

/** Registers `devices` endpoints, `outstanding` at a time; each latency is Register to 2.01. */
export function registerDevices(options: RegistrationBurstOptions): Promise<RegistrationBurst> {
  return new Promise((resolve) => {
    const first = options.firstDevice ?? 0;
    const latenciesMs: number[] = [];
    const open: RegisteredDevice[] = [];
    /** Devices between their Register and its 2.01 (at most `outstanding`). */
    const registering = new Set<Device>();
    /** Devices waiting for the server's Read, in the order their wait ends. */
    const waitingForRead: Device[] = [];
    let failed = 0;
    let launched = 0;
    let perSecond = 0;
    const started = performance.now();

    const finishIfDone = (): void => {
      if (launched < options.devices || registering.size > 0) return;
      if (perSecond === 0) perSecond = latenciesMs.length / ((performance.now() - started) / 1000);
      if (waitingForRead.some((device) => !device.closed)) return;
      clearInterval(ticker);
      resolve({ registered: latenciesMs.length, failed, perSecond, latenciesMs, open });
    };
    const close = (device: Device): void => {
      if (device.closed) return;
      device.closed = true;
      device.socket.close();
    };
    const launchNext = (): void => {
      if (launched >= options.devices) return finishIfDone();
      launch(first + launched++);
    };
    const registeredOrFailed = (device: Device, location: readonly string[] | undefined): void => {
      registering.delete(device);
      if (location === undefined) {
        failed++;
        close(device);
      } else {
        latenciesMs.push(performance.now() - device.sentAt);
        device.registered = true;
        if (options.keepOpen === true) open.push({ socket: device.socket, location });
        else if (!options.answerReads || device.readAnswered) close(device);
        else {
          device.dueAt = performance.now() + READ_WAIT_MS;
          waitingForRead.push(device);
        }
      }
      launchNext();
    };
    const onMessage = (device: Device, message: Buffer, remote: { address: string; port: number }): void => {
      const head = message[0];
      const code = message[1];
      if (message.length < 4 || head === undefined || code === undefined || head >> 6 !== 1) return;
      const type = (head >> 4) & 3;
      if (type === 0 && code !== 0 && code >> 5 === 0) {
        // A CON request from the server (its Read of /3/0): answered piggybacked.
        if (!options.answerReads) return;
        device.readAnswered = true;
        device.socket.send(readAnswer(message), remote.port, remote.address, () => {
          if (device.registered && options.keepOpen !== true) close(device);
        });
        return;
      }
      if (device.registered || type !== 2 || message.readUInt16BE(2) !== (device.number & 0xffff)) return;
      const location = code === CODE_CREATED ? locationPath(message) : [];
      registeredOrFailed(device, location.length > 0 ? location : undefined);
    };
    const launch = (number: number): void => {
      // Every address here is a literal: bind and each send skip dns.lookup's tick.
      const socket = createSocket({ type: 'udp4', lookup: literalFirstLookup });
      const device: Device = { number, socket, request: registerPacket(options.prefix, number), sentAt: 0, dueAt: 0, waitMs: ACK_TIMEOUT_MS, retransmissions: 0, registered: false, readAnswered: false, closed: false };
      registering.add(device);
      socket.on('message', (message, remote) => onMessage(device, message, remote));
      socket.bind(0, addressOf(number), () => {
        device.sentAt = performance.now();
        device.dueAt = device.sentAt + device.waitMs;
        socket.send(device.request, options.port, '127.0.0.1');
      });
    };
    /** Retransmits what is due (RFC 7252 §4.2: after ACK_TIMEOUT, doubling, at most MAX_RETRANSMIT times); ends the waits that are over. */
    const tick = (): void => {
      const now = performance.now();
      for (const device of registering) {
        if (device.sentAt === 0 || device.dueAt > now) continue;
        if (device.retransmissions++ >= MAX_RETRANSMIT) {
          registeredOrFailed(device, undefined);
          continue;
        }
        device.waitMs *= 2;
        device.dueAt = now + device.waitMs;
        device.socket.send(device.request, options.port, '127.0.0.1');
      }
      let ended = 0;
      for (const device of waitingForRead) {
        if (!device.closed && device.dueAt > now) break;
        close(device);
        ended++;
      }
      waitingForRead.splice(0, ended);
      finishIfDone();
    };
    const ticker = setInterval(tick, TICK_MS);
    for (let slot = 0; slot < options.outstanding; slot++) launchNext();
    finishIfDone();
  });
}

/** Each open device sends one registration Update (POST to its Location-Path), `outstanding` at a time. */
export async function updateRegistrations(port: number, devices: readonly RegisteredDevice[], outstanding: number): Promise<number> {
  let next = 0;
  let updated = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < devices.length) {
      const index = next++;
      const device = devices[index];
      if (device === undefined) continue;
      const messageId = (index + 0x8000) & 0xffff;
      const request = updatePacket(messageId, index, device.location);
      await exchange(device.socket, port, request, messageId, CODE_CHANGED);
      updated++;
    }
  };
  await Promise.all(Array.from({ length: outstanding }, worker));
  return updated / ((performance.now() - started) / 1000);
}

/** A CON POST to the registration's Location-Path (Uri-Path options), token from `index`. */
function updatePacket(messageId: number, index: number, location: readonly string[]): Buffer {
  const header = Buffer.from([VERSION_1 | 4, 0x02, messageId >> 8, messageId & 0xff, 1, (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff]);
  return Buffer.concat([header, ...location.map((segment, i) => option(11, i === 0 ? 0 : 11, Buffer.from(segment)))]);
}
