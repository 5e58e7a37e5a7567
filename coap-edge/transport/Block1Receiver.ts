/**
 * Block-wise requests in (RFC 7959 §2.5): every request the edge accepts with a body (Register,
 * Update, Send...) may come in Block1 pieces. Each transfer is kept until its last block, and
 * only then does the request reach its handler, whole. A transfer is keyed by the peer and the
 * request's method, Uri-Path, Uri-Query and Content-Format, not by token (§2.4: the token may
 * change from block to block). Memory is bounded: a few transfers per peer (a new one evicts
 * the peer's oldest), a cap on transfers and on bytes held overall (5.03 beyond it), a body size
 * limit (4.13 with Size1), and transfers abandoned for longer than MAX_TRANSMIT_WAIT are dropped.
 */
import { Block1Assembly, type Block1Step } from '../../core/lwm2m/block1Assembly.ts';
import { decodeBlockOption, encodeBlockOption } from '../../core/lwm2m/blockwise.ts';
import { CoapOption, decodeUint, encodeUint } from './coapOptions.ts';
import type { InboundRequest, OutboundResponse } from './CoapTransport.ts';
import { ResponseCode } from '../../core/coap/ResponseCode.ts';

export interface Block1ReceiverOptions {
  /** Largest request body taken, in bytes. @default 65536 */
  readonly maxBodyBytes?: number;
  /** Largest block size taken, as SZX (block size 2^(SZX+4)); larger blocks are asked to shrink. @default 6 (1024 bytes) */
  readonly preferredSzx?: number;
  /** Transfers of one peer at once; a new one evicts the peer's oldest. @default 2 */
  readonly maxTransfersPerPeer?: number;
  /** Transfers at once across all peers. @default 4096 */
  readonly maxTransfers?: number;
  /** Bytes held by all transfers at once. @default 32 MiB */
  readonly maxBufferedBytes?: number;
  /** A transfer with no block for this long is dropped. @default 93 s (MAX_TRANSMIT_WAIT, RFC 7252 §4.8.2) */
  readonly transferTimeoutMs?: number;
  readonly clock?: () => number;
}

/** What to do with an inbound request: answer it now, or hand it (whole) to the handler. */
export type Block1Reception =
  | { readonly kind: 'reply'; readonly response: OutboundResponse }
  /** `ack`: the Block1 option the final response must carry (§2.3), when the body came in blocks. */
  | { readonly kind: 'whole'; readonly request: InboundRequest; readonly ack?: Buffer };

export interface Block1Stats {
  transfers: number;
  bufferedBytes: number;
  completed: number;
  expired: number;
  refused: number;
}

interface Transfer {
  readonly peer: string;
  readonly assembly: Block1Assembly;
  lastBlockAt: number;
}

/** Seconds a client waits before retrying after a 5.03 for lack of room (RFC 7252 §5.9.3.4). */
const BUSY_MAX_AGE_SECONDS = 5;

export class Block1Receiver {
  readonly stats: Block1Stats = { transfers: 0, bufferedBytes: 0, completed: 0, expired: 0, refused: 0 };
  /** In order of last activity (a touched transfer is moved to the end), so expiry sweeps from the front. */
  private readonly transfers = new Map<string, Transfer>();
  private readonly transfersByPeer = new Map<string, string[]>();
  private readonly now: () => number;

  constructor(private readonly options: Block1ReceiverOptions = {}) {
    this.now = options.clock ?? Date.now;
  }

  /** Takes one inbound request: a block of a transfer, or a request that carries no Block1. */
  receive(request: InboundRequest): Block1Reception {
    // Hot path (every firmware block passes here): a GET without a body has no body to assemble.
    if (request.method === 'GET' && request.payload.length === 0) return { kind: 'whole', request };
    const raw = request.option(CoapOption.Block1);
    const size1Raw = request.option(CoapOption.Size1);
    const size1 = size1Raw === undefined ? undefined : decodeUint(size1Raw);
    const maxBodyBytes = this.options.maxBodyBytes ?? 65_536;
    if (raw === undefined) {
      // A body in one piece may still announce a size over the limit, or exceed it.
      if ((size1 ?? 0) > maxBodyBytes || request.payload.length > maxBodyBytes) return this.refuse({ kind: 'tooLarge', maxBytes: maxBodyBytes });
      return { kind: 'whole', request };
    }
    const block = decodeBlockOption(raw);
    if (block === undefined) return this.refuse({ kind: 'malformed', reason: 'malformed Block1 option' });
    this.expire();
    const peer = `${request.peer.address}:${request.peer.port}`;
    const key = transferKey(peer, request);
    const existing = block.num === 0 ? undefined : this.transfers.get(key);
    if (block.num === 0) this.drop(key);
    if (existing === undefined) {
      if (!block.more && block.num === 0) return this.completed(request, { kind: 'complete', ack: block, payload: request.payload }, size1, maxBodyBytes);
      const begun = Block1Assembly.begin(block, request.payload, size1, { maxBodyBytes, ...this.preferred() });
      if (begun.assembly === undefined) return this.refuse(begun.step);
      if (!this.admit(peer, begun.assembly.bufferedBytes)) return { kind: 'reply', response: { code: ResponseCode.ServiceUnavailable, options: [[CoapOption.MaxAge, encodeUint(BUSY_MAX_AGE_SECONDS)]] } };
      this.add(key, peer, begun.assembly);
      return this.reply(begun.step);
    }
    const before = existing.assembly.bufferedBytes;
    if (this.stats.bufferedBytes + request.payload.length > (this.options.maxBufferedBytes ?? 32 * 1024 * 1024)) {
      this.drop(key);
      return { kind: 'reply', response: { code: ResponseCode.ServiceUnavailable, options: [[CoapOption.MaxAge, encodeUint(BUSY_MAX_AGE_SECONDS)]] } };
    }
    const step = existing.assembly.accept(block, request.payload, size1);
    this.stats.bufferedBytes += existing.assembly.bufferedBytes - before;
    if (step.kind === 'continue') {
      existing.lastBlockAt = this.now();
      this.transfers.delete(key);
      this.transfers.set(key, existing);
      return this.reply(step);
    }
    this.drop(key);
    return step.kind === 'complete' ? this.completed(request, step, size1, maxBodyBytes) : this.refuse(step);
  }

  /** Drops every transfer of a peer (its address now belongs to someone else). */
  forgetPeer(peer: { readonly address: string; readonly port: number }): void {
    for (const key of this.transfersByPeer.get(`${peer.address}:${peer.port}`) ?? []) this.drop(key);
  }

  /** Drops the transfers that had no block for longer than the timeout. */
  expire(): void {
    const cutoff = this.now() - (this.options.transferTimeoutMs ?? 93_000);
    for (const [key, transfer] of this.transfers) {
      if (transfer.lastBlockAt > cutoff) return;
      this.drop(key);
      this.stats.expired++;
    }
  }

  private completed(request: InboundRequest, step: Extract<Block1Step, { kind: 'complete' }>, size1: number | undefined, maxBodyBytes: number): Block1Reception {
    if ((size1 ?? 0) > maxBodyBytes || step.payload.length > maxBodyBytes) return this.refuse({ kind: 'tooLarge', maxBytes: maxBodyBytes });
    this.stats.completed++;
    return { kind: 'whole', request: { ...request, payload: step.payload }, ack: encodeBlockOption(step.ack) };
  }

  private reply(step: Block1Step): Block1Reception {
    if (step.kind === 'continue') return { kind: 'reply', response: { code: ResponseCode.Continue, options: [[CoapOption.Block1, encodeBlockOption(step.ack)]] } };
    return this.refuse(step);
  }

  private refuse(step: Block1Step): Block1Reception {
    this.stats.refused++;
    switch (step.kind) {
      case 'tooLarge':
        return { kind: 'reply', response: { code: ResponseCode.RequestEntityTooLarge, options: [[CoapOption.Size1, encodeUint(step.maxBytes)]], payload: Buffer.from(`request body over ${step.maxBytes} bytes`) } };
      case 'incomplete':
        return { kind: 'reply', response: { code: ResponseCode.RequestEntityIncomplete, payload: Buffer.from(step.reason) } };
      case 'malformed':
        return { kind: 'reply', response: { code: ResponseCode.BadRequest, payload: Buffer.from(step.reason) } };
      case 'continue':
      case 'complete':
        return { kind: 'reply', response: { code: ResponseCode.InternalServerError } };
    }
  }

  private preferred(): { preferredSzx?: number } {
    return this.options.preferredSzx === undefined ? {} : { preferredSzx: this.options.preferredSzx };
  }

  /** Room for a new transfer: the peer's oldest goes if the peer is at its cap; the overall caps hold. */
  private admit(peer: string, bytes: number): boolean {
    const own = this.transfersByPeer.get(peer);
    const oldest = own?.[0];
    if (own !== undefined && oldest !== undefined && own.length >= (this.options.maxTransfersPerPeer ?? 2)) this.drop(oldest);
    const roomForTransfer = this.transfers.size < (this.options.maxTransfers ?? 4096);
    const roomForBytes = this.stats.bufferedBytes + bytes <= (this.options.maxBufferedBytes ?? 32 * 1024 * 1024);
    if (!(roomForTransfer && roomForBytes)) this.stats.refused++;
    return roomForTransfer && roomForBytes;
  }

  private add(key: string, peer: string, assembly: Block1Assembly): void {
    this.transfers.set(key, { peer, assembly, lastBlockAt: this.now() });
    const own = this.transfersByPeer.get(peer);
    if (own === undefined) this.transfersByPeer.set(peer, [key]);
    else own.push(key);
    this.stats.transfers = this.transfers.size;
    this.stats.bufferedBytes += assembly.bufferedBytes;
  }

  private drop(key: string): void {
    const transfer = this.transfers.get(key);
    if (transfer === undefined) return;
    this.transfers.delete(key);
    this.stats.transfers = this.transfers.size;
    this.stats.bufferedBytes -= transfer.assembly.bufferedBytes;
    const own = (this.transfersByPeer.get(transfer.peer) ?? []).filter((k) => k !== key);
    if (own.length === 0) this.transfersByPeer.delete(transfer.peer);
    else this.transfersByPeer.set(transfer.peer, own);
  }
}

/** §2.3/§2.4: the blocks of one body share the peer and every option but Block1, Size1 and the token. */
function transferKey(peer: string, request: InboundRequest): string {
  return `${peer} ${request.method} /${request.pathSegments.join('/')}?${request.query} ${request.contentFormat ?? ''}`;
}
