/**
 * How a simulated device gets a package, in each way object 5 allows (shared/LWM2M.md):
 * - CoAP pull: lock-step Block2 GETs (RFC 7959), one new token per block as many devices do, from
 *   a socket of its own; it can stop after some blocks and resume later from the next one.
 * - HTTP pull: a plain GET with fetch (a presigned S3 URL).
 * - Push: the edge writes /5/0/0 with Block1; `PackageReceiver` reassembles the blocks in order,
 *   answers 2.31 per block (with the size the device prefers), 4.08 on a gap, 4.13 with Size1
 *   for a block larger than it takes.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import type coap from 'coap';
import { blockSize, decodeBlockOption, encodeBlockOption } from '../core/lwm2m/blockwise.ts';

/** Where a CoAP pull stands: the bytes so far and the next block to ask for. */
export class BlockwisePull {
  readonly chunks: Buffer[] = [];
  nextBlock = 0;
  blocksFetched = 0;
  complete = false;
  /** Size2 and ETag of the first answer: a resumed download must see the same resource. */
  totalSize: number | undefined;
  etag: Buffer | undefined;
  /** Message IDs go up by one per request (RFC 7252 §4.4): a repeated one would read as a retransmission. */
  private messageId = Math.floor(Math.random() * 0xffff);

  constructor(
    private readonly url: URL,
    private readonly szx: number,
    private readonly timeoutMs = 2_000,
  ) {}

  /**
   * Fetches blocks until the end, or until `maxBlocks` blocks were fetched in this call (a lost
   * connection, for tests), or until `stop` says so (a cancelled download). Each call uses a new
   * socket, so a resume comes from a new port.
   */
  async fetch(maxBlocks = Number.POSITIVE_INFINITY, stop: () => boolean = () => false): Promise<{ kind: 'ok' } | { kind: 'refused'; code: string }> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      for (let fetched = 0; !this.complete && fetched < maxBlocks; fetched++) {
        if (stop()) return { kind: 'refused', code: 'stopped' };
        this.messageId = (this.messageId + 1) & 0xffff;
        const reply = await exchange(socket, this.url, this.nextBlock, this.szx, this.messageId, this.timeoutMs);
        if (reply.code !== '2.05') return { kind: 'refused', code: reply.code };
        const block = option(reply, 'Block2');
        const decoded = block === undefined ? undefined : decodeBlockOption(block);
        const etag = option(reply, 'ETag');
        if (this.etag !== undefined && etag !== undefined && !etag.equals(this.etag)) return { kind: 'refused', code: 'ETag changed' };
        this.etag ??= etag;
        const size2 = option(reply, 'Size2');
        if (size2 !== undefined) this.totalSize ??= size2.reduce((n, b) => n * 256 + b, 0);
        this.chunks.push(reply.payload);
        this.blocksFetched++;
        // The server may answer with a smaller block than asked; the next NUM follows its size.
        if (decoded === undefined || !decoded.more) this.complete = true;
        else this.nextBlock = ((decoded.num + 1) * blockSize(decoded.szx)) / blockSize(this.szx);
      }
      return { kind: 'ok' };
    } finally {
      socket.close();
    }
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One CON GET of a block, retransmitted after 500 ms up to four times (RFC 7252 §4.2, shortened). */
function exchange(socket: Socket, url: URL, num: number, szx: number, messageId: number, timeoutMs: number): Promise<ParsedPacket> {
  const token = randomBytes(4);
  const request = generate({
    code: 'GET',
    confirmable: true,
    messageId,
    token,
    options: [
      ...url.pathname.split('/').filter(Boolean).map((segment) => ({ name: 'Uri-Path' as const, value: Buffer.from(decodeURIComponent(segment)) })),
      { name: 'Block2' as const, value: encodeBlockOption({ num, more: false, szx }) },
    ],
  });
  const port = Number(url.port === '' ? 5683 : url.port);
  return new Promise((resolve, reject) => {
    let sends = 0;
    const send = (): void => {
      sends++;
      socket.send(request, port, url.hostname);
    };
    const retransmit = setInterval(() => (sends < 5 ? send() : undefined), 500);
    const timer = setTimeout(() => finish(new Error(`no answer to block ${num}`)), timeoutMs);
    const onMessage = (message: Buffer): void => {
      let reply: ParsedPacket;
      try {
        reply = parse(message);
      } catch {
        return;
      }
      if (!reply.token.equals(token)) return;
      finish(undefined, reply);
    };
    const finish = (error?: Error, reply?: ParsedPacket): void => {
      clearInterval(retransmit);
      clearTimeout(timer);
      socket.off('message', onMessage);
      if (reply !== undefined) resolve(reply);
      else reject(error ?? new Error('no reply'));
    };
    socket.on('message', onMessage);
    send();
  });
}

function option(packet: ParsedPacket, name: string): Buffer | undefined {
  return packet.options.find((o) => o.name === name)?.value;
}

/** Downloads an http(s):// package URI. */
export async function pullHttp(url: URL, timeoutMs = 30_000): Promise<{ kind: 'ok'; bytes: Buffer } | { kind: 'refused'; code: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) return { kind: 'refused', code: String(response.status) };
  return { kind: 'ok', bytes: Buffer.from(await response.arrayBuffer()) };
}

/** The raw Block1 option of a request whose Block1 `interceptBlock1` set aside. */
export const BLOCK1_SET_ASIDE = '27';

/**
 * node-coap's server reassembles Block1 uploads itself and throws on a gap instead of answering
 * 4.08. This renames the option before the server sees it, so the device's own receiver runs.
 */
export function interceptBlock1(server: coap.Server): void {
  const internals = server as unknown as { _middlewares?: ((request: { packet?: ParsedPacket }, next: (error: Error | null) => void) => void)[] };
  const middlewares = internals._middlewares;
  if (middlewares === undefined) return;
  middlewares.splice(middlewares.length - 1, 0, (request, next) => {
    for (const option of request.packet?.options ?? []) if (option.name === 'Block1') (option as { name: string }).name = BLOCK1_SET_ASIDE;
    next(null);
  });
}

export type BlockVerdict =
  | { readonly kind: 'continue'; readonly code: '2.31'; readonly block1: Buffer }
  | { readonly kind: 'complete'; readonly package: Buffer; readonly block1?: Buffer }
  | { readonly kind: 'rejected'; readonly code: '4.08' | '4.13' | '4.00'; readonly size1?: number };

/** Reassembles a Block1 push of /5/0/0, strictly in order (RFC 7959 §2.5, server side). */
export class PackageReceiver {
  private chunks: Buffer[] = [];
  private nextOffset = 0;
  blocksReceived = 0;

  constructor(
    /** SZX the device asks for in its 2.31 answers. */
    private readonly preferredSzx: number,
    /** Largest block it takes; above it: 4.13 with Size1. */
    private readonly maxBlockBytes: number,
  ) {}

  get receiving(): boolean {
    return this.nextOffset > 0;
  }

  reset(): void {
    this.chunks = [];
    this.nextOffset = 0;
  }

  /** A request to /5/0/0: `rawBlock1` absent for a package in one message. */
  accept(rawBlock1: Buffer | undefined, payload: Buffer): BlockVerdict {
    if (rawBlock1 === undefined) {
      this.reset();
      if (payload.length > this.maxBlockBytes) return { kind: 'rejected', code: '4.13', size1: this.maxBlockBytes };
      return { kind: 'complete', package: payload };
    }
    const block = decodeBlockOption(rawBlock1);
    if (block === undefined) return { kind: 'rejected', code: '4.00' };
    const size = blockSize(block.szx);
    if (size > this.maxBlockBytes || payload.length > this.maxBlockBytes) {
      this.reset();
      return { kind: 'rejected', code: '4.13', size1: this.maxBlockBytes };
    }
    const offset = block.num * size;
    if (offset === 0) this.reset();
    if (offset !== this.nextOffset) {
      // A repeat of the block just taken (its 2.31 was lost) is acknowledged again.
      const last = this.chunks[this.chunks.length - 1];
      if (last !== undefined && offset + payload.length === this.nextOffset && block.more) return this.continueAfter(block.num, block.szx);
      this.reset();
      return { kind: 'rejected', code: '4.08' };
    }
    if (block.more && payload.length !== size) {
      this.reset();
      return { kind: 'rejected', code: '4.00' };
    }
    this.chunks.push(Buffer.from(payload));
    this.nextOffset += payload.length;
    this.blocksReceived++;
    if (block.more) return this.continueAfter(block.num, block.szx);
    const assembled = Buffer.concat(this.chunks);
    this.reset();
    return { kind: 'complete', package: assembled, block1: rawBlock1 };
  }

  /** 2.31 acknowledges NUM at the request's size and names the size wanted from now on. */
  private continueAfter(num: number, szx: number): BlockVerdict {
    return { kind: 'continue', code: '2.31', block1: encodeBlockOption({ num, more: true, szx: Math.min(szx, this.preferredSzx) }) };
  }
}
