/**
 * The project's own CoAP load generator, the same for every target it is pointed at (the edge,
 * libcoap's coap-server and coap-rd, a raw dgram echo), so their figures differ by the server only.
 * This file has the Block2 fetchers and the one request/reply exchange; Registers are
 * bench/registrationLoad.ts. Requests are encoded once, up front, with coap-packet; a request in
 * flight only has its message id patched, and a reply is checked by its header bytes (type, code,
 * message id) without parsing, so the generator's own cost per exchange stays small and equal for
 * every target.
 */
import { createSocket, type Socket } from 'node:dgram';
import { generate } from 'coap-packet';
import { encodeBlockOption } from '../core/lwm2m/blockwise.ts';

const ACK = 2;
const CODE_CONTENT = 0x45; // 2.05
/** RFC 7252 §4.8 transmission parameters. */
const ACK_TIMEOUT_MS = 2_000;
const MAX_RETRANSMIT = 4;

/** What a Block2 client must get back: an ACK 2.05 with its message id (the echo fakes the same header). */
function isReplyTo(reply: Buffer, messageId: number, code: number): boolean {
  return reply.length >= 4 && reply[0] !== undefined && reply[0] >> 6 === 1 && ((reply[0] >> 4) & 3) === ACK && reply[1] === code && reply.readUInt16BE(2) === messageId;
}

export async function openSocket(address = '127.0.0.1'): Promise<Socket> {
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
export function exchange(socket: Socket, port: number, request: Buffer, messageId: number, code: number): Promise<Buffer> {
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
