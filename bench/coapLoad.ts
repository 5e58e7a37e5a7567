/**
 * The project's own CoAP load generator, the same for every target it is pointed at (the edge,
 * libcoap's coap-server and coap-rd, a raw dgram echo), so their figures differ by the server only.
 * Requests are encoded once, up front, with coap-packet; a request in flight only has its message
 * id patched, and a reply is checked by its header bytes (type, code, message id) without parsing,
 * so the generator's own cost per exchange stays small and equal for every target.
 */
import { createSocket, type Socket } from 'node:dgram';
import { generate } from 'coap-packet';
import { encodeContent } from '../core/codecs/index.ts';
import { ContentFormat } from '../core/lwm2m/ContentFormat.ts';
import { LwM2mPath } from '../core/lwm2m/LwM2mPath.ts';
import { encodeBlockOption } from '../core/lwm2m/blockwise.ts';
import { encodeUint } from '../coap-edge/transport/coapOptions.ts';

const ACK = 2;
const CODE_CONTENT = 0x45; // 2.05
const CODE_CREATED = 0x41; // 2.01
const CODE_CHANGED = 0x44; // 2.04
/** How long a registered device stays to answer the server's Read of /3/0 (a loaded server reads late). */
const READ_WAIT_MS = 20_000;
/** RFC 7252 §4.8 transmission parameters. */
const ACK_TIMEOUT_MS = 2_000;
const MAX_RETRANSMIT = 4;

/** What a Block2 client must get back: an ACK 2.05 with its message id (the echo fakes the same header). */
function isReplyTo(reply: Buffer, messageId: number, code: number): boolean {
  return reply.length >= 4 && reply[0] !== undefined && reply[0] >> 6 === 1 && ((reply[0] >> 4) & 3) === ACK && reply[1] === code && reply.readUInt16BE(2) === messageId;
}

async function openSocket(address = '127.0.0.1'): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

export interface BlockFetchOptions {
  readonly port: number;
  /** The Uri-Path of the blob each client fetches, e.g. ['fw', token]. One entry per client. */
  readonly paths: readonly (readonly string[])[];
  readonly blocks: number;
  readonly durationMs: number;
}

/**
 * `paths.length` clients, each on its own socket, fetch 1 KiB blocks lock-step (the next GET as
 * soon as the previous block arrived, a new token each time, as devices do) for `durationMs`.
 * Returns the blocks received per second.
 */
export async function fetchBlocks(options: BlockFetchOptions): Promise<number> {
  let received = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    options.paths.map(async (path, client) => {
      const socket = await openSocket();
      try {
        const requests = Array.from({ length: options.blocks }, (_, num) =>
          generate({
            code: 'GET',
            confirmable: true,
            messageId: 0,
            token: Buffer.from([client, 0, 0, 0]),
            options: [...path.map((segment) => ({ name: 'Uri-Path' as const, value: Buffer.from(segment) })), { name: 'Block2' as const, value: encodeBlockOption({ num, more: false, szx: 6 }) }],
          }),
        );
        let messageId = (client * 997) & 0xffff;
        let num = 0;
        while (performance.now() < deadline) {
          const request = requests[num];
          if (request === undefined) throw new Error(`no request for block ${num}`);
          messageId = (messageId + 1) & 0xffff;
          request.writeUInt16BE(messageId, 2);
          request.writeUInt16BE(messageId, 6); // the token changes with every block
          await exchange(socket, options.port, request, messageId, CODE_CONTENT);
          received++;
          num = (num + 1) % options.blocks;
        }
      } finally {
        socket.close();
      }
    }),
  );
  return received / ((performance.now() - started) / 1000);
}

/**
 * Sends a CON and waits for its piggybacked reply, retransmitting as a CoAP client does (RFC 7252
 * §4.2: after ACK_TIMEOUT, doubling, at most MAX_RETRANSMIT = 4 times), so a server that is slow
 * under load is measured by its latency, not failed.
 */
function exchange(socket: Socket, port: number, request: Buffer, messageId: number, code: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let retransmissions = 0;
    let waitMs = ACK_TIMEOUT_MS;
    let timer: NodeJS.Timeout;
    const transmit = (): void => {
      socket.send(request, port, '127.0.0.1');
      timer = setTimeout(() => {
        if (retransmissions++ < MAX_RETRANSMIT) {
          waitMs *= 2;
          transmit();
          return;
        }
        socket.off('message', onMessage);
        reject(new Error(`no answer to message ${messageId} from port ${port}`));
      }, waitMs);
    };
    const onMessage = (reply: Buffer): void => {
      if (!isReplyTo(reply, messageId, code)) {
        if (reply.length >= 4 && reply.readUInt16BE(2) === messageId) {
          clearTimeout(timer);
          socket.off('message', onMessage);
          reject(new Error(`message ${messageId}: answered with code ${(reply[1] ?? 0) >> 5}.${(reply[1] ?? 0) & 31}`));
        }
        return;
      }
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(reply);
    };
    socket.on('message', onMessage);
    transmit();
  });
}

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
  /** Devices that got no 2.01 after every retransmission. */
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

/** LwM2M 1.0 Register with ten objects (content-format 40), as a meter announces them. */
const REGISTER_LINKS = Buffer.from('</1/0>,</3/0>,</4/0>,</5/0>,</6/0>,</7/0>,</3303/0>,</3304/0>,</3316/0>,</3328/0>');

/** The Device object a registered device reads back: manufacturer, model, firmware version (TLV). */
const DEVICE_OBJECT_TLV = (() => {
  const text = (resource: number, value: string) => ({ path: LwM2mPath.of(3, 0, resource), value });
  const encoded = encodeContent(ContentFormat.TLV, [text(0, 'Bench Meters'), text(1, 'BENCH-1'), text(3, '1.0.0')], LwM2mPath.of(3, 0));
  if (!encoded.success) throw encoded.error;
  return encoded.data;
})();
const TLV_FORMAT = encodeUint(ContentFormat.TLV);

/** Device k's own loopback address (127.1.0.1 ...), so 20,000 devices are 20,000 distinct peers. */
function addressOf(device: number): string {
  const host = device % 250;
  const rest = Math.floor(device / 250);
  return `127.${1 + Math.floor(rest / 250)}.${rest % 250}.${host + 1}`;
}

/** Registers `devices` endpoints, `outstanding` at a time; each latency is Register to 2.01. */
export async function registerDevices(options: RegistrationBurstOptions): Promise<RegistrationBurst> {
  const latenciesMs: number[] = [];
  const open: RegisteredDevice[] = [];
  const lingering = new Set<Promise<void>>();
  let failed = 0;
  const first = options.firstDevice ?? 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < options.devices) {
      const device = first + next++;
      const socket = await openSocket(addressOf(device));
      const messageId = device & 0xffff;
      const request = generate({
        code: 'POST',
        confirmable: true,
        messageId,
        token: Buffer.from([device >> 24, device >> 16, device >> 8, device]),
        options: [
          { name: 'Uri-Path', value: Buffer.from('rd') },
          { name: 'Content-Format', value: encodeUint(ContentFormat.LINK_FORMAT) },
          { name: 'Uri-Query', value: Buffer.from(`ep=${options.prefix}-${device}`) },
          { name: 'Uri-Query', value: Buffer.from('lt=86400') },
          { name: 'Uri-Query', value: Buffer.from('lwm2m=1.0') },
          { name: 'Uri-Query', value: Buffer.from('b=U') },
        ],
        payload: REGISTER_LINKS,
      });
      // The server's Read may arrive before the 2.01 does: listen from the start.
      const readAnswered = options.answerReads ? answerOneRead(socket) : undefined;
      const sent = performance.now();
      let reply: Buffer;
      try {
        reply = await exchange(socket, options.port, request, messageId, CODE_CREATED);
      } catch {
        failed++;
        socket.close();
        continue;
      }
      latenciesMs.push(performance.now() - sent);
      if (options.keepOpen === true) {
        open.push({ socket, location: locationPath(reply) });
        continue;
      }
      if (readAnswered === undefined) {
        socket.close();
        continue;
      }
      const closing = readAnswered.finally(() => {
        socket.close();
        lingering.delete(closing);
      });
      lingering.add(closing);
    }
  };
  await Promise.all(Array.from({ length: options.outstanding }, worker));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(lingering);
  return { registered: latenciesMs.length, failed, perSecond: latenciesMs.length / seconds, latenciesMs, open };
}

/** Answers the first request the server sends (its Read of /3/0) with the Device object, or gives up after 20 s. */
function answerOneRead(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, READ_WAIT_MS);
    function done(): void {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve();
    }
    function onMessage(message: Buffer, remote: { address: string; port: number }): void {
      const first = message[0];
      // A CON request (code class 0, not empty): answer it piggybacked, same message id and token.
      if (first === undefined || ((first >> 4) & 3) !== 0 || message[1] === undefined || message[1] === 0 || message[1] >> 5 !== 0) return;
      const tokenLength = first & 0x0f;
      const reply = generate({ code: '2.05', ack: true, messageId: message.readUInt16BE(2), token: message.subarray(4, 4 + tokenLength), options: [{ name: 'Content-Format', value: TLV_FORMAT }], payload: DEVICE_OBJECT_TLV });
      socket.send(reply, remote.port, remote.address, done);
    }
    socket.on('message', onMessage);
  });
}

function locationPath(reply: Buffer): string[] {
  // Parsed once per device, after the timed exchange.
  const segments: string[] = [];
  const tokenLength = (reply[0] ?? 0) & 0x0f;
  let offset = 4 + tokenLength;
  let number = 0;
  while (offset < reply.length && reply[offset] !== 0xff) {
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
    if (number === 8) segments.push(reply.toString('utf8', offset, offset + length));
    offset += length;
  }
  return segments;
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
      const request = generate({ code: 'POST', confirmable: true, messageId, token: Buffer.from([1, index >> 16, index >> 8, index]), options: device.location.map((segment) => ({ name: 'Uri-Path' as const, value: Buffer.from(segment) })) });
      await exchange(device.socket, port, request, messageId, CODE_CHANGED);
      updated++;
    }
  };
  await Promise.all(Array.from({ length: outstanding }, worker));
  return updated / ((performance.now() - started) / 1000);
}
