/**
 * The server side of a Block1 transfer (RFC 7959 §2.5) for one request body, as pure bookkeeping:
 * which block comes next, what to answer to each, and the whole body once the last block is in.
 * Blocks are placed by byte offset (NUM x block size), so a client that lowers its block size
 * between blocks (§2.5, after a smaller SZX in our 2.31) lines up; a block past the bytes
 * received so far is a gap (4.08, §2.9.2); a body over the limit is 4.13 with Size1 (§2.9.3).
 */
import { blockSize, type BlockOption } from './blockwise.ts';

export type Block1Step =
  /** 2.31 Continue, carrying this Block1 (§2.3: NUM acknowledged, M=1, the size for the next blocks). */
  | { readonly kind: 'continue'; readonly ack: BlockOption }
  /** The last block: the request is whole; its final response carries this Block1 (M=0). */
  | { readonly kind: 'complete'; readonly ack: BlockOption; readonly payload: Buffer }
  /** 4.08 Request Entity Incomplete: a block out of order, or one whose earlier blocks are unknown. */
  | { readonly kind: 'incomplete'; readonly reason: string }
  /** 4.13 Request Entity Too Large, with Size1 = `maxBytes` (§4). */
  | { readonly kind: 'tooLarge'; readonly maxBytes: number }
  /** 4.00: an intermediate block whose payload is not exactly its block size (§2.3). */
  | { readonly kind: 'malformed'; readonly reason: string };

export interface Block1Limits {
  /** Largest whole body accepted. */
  readonly maxBodyBytes: number;
  /** Largest SZX the server takes; a larger one is answered with this one (§2.5). @default 6 */
  readonly preferredSzx?: number;
}

/** The blocks of one request body received so far. */
export class Block1Assembly {
  private readonly chunks: Buffer[] = [];
  private received = 0;

  private constructor(private readonly limits: Block1Limits) {}

  /**
   * The first block of a transfer. `size1` is the total size the client announced, if any: over
   * the limit, the transfer is refused before a byte is kept (§4).
   */
  static begin(block: BlockOption, payload: Buffer, size1: number | undefined, limits: Block1Limits): { readonly step: Block1Step; readonly assembly?: Block1Assembly } {
    if (size1 !== undefined && size1 > limits.maxBodyBytes) return { step: { kind: 'tooLarge', maxBytes: limits.maxBodyBytes } };
    if (block.num !== 0) return { step: { kind: 'incomplete', reason: `block ${block.num} of a transfer whose first block is unknown` } };
    const assembly = new Block1Assembly(limits);
    const step = assembly.accept(block, payload, size1);
    return step.kind === 'continue' ? { step, assembly } : { step };
  }

  /** Bytes held. */
  get bufferedBytes(): number {
    return this.received;
  }

  /** The next block of the transfer (or a repetition of the last one). */
  accept(block: BlockOption, payload: Buffer, size1?: number): Block1Step {
    const { maxBodyBytes } = this.limits;
    if (size1 !== undefined && size1 > maxBodyBytes) return { kind: 'tooLarge', maxBytes: maxBodyBytes };
    const size = blockSize(block.szx);
    if (block.more && payload.length !== size) return { kind: 'malformed', reason: `block ${block.num} carries ${payload.length} bytes, its size is ${size}` };
    if (!block.more && payload.length > size) return { kind: 'malformed', reason: `last block ${block.num} carries more than ${size} bytes` };
    const offset = block.num * size;
    // A block already received (the client did not get our 2.31 and sent it again under a new
    // message id): acknowledged again, not appended.
    if (block.more && offset + payload.length <= this.received) return { kind: 'continue', ack: this.ack(block) };
    if (offset !== this.received) return { kind: 'incomplete', reason: `block ${block.num} starts at byte ${offset}, ${this.received} received` };
    if (offset + payload.length > maxBodyBytes) return { kind: 'tooLarge', maxBytes: maxBodyBytes };
    this.chunks.push(payload);
    this.received += payload.length;
    if (block.more) return { kind: 'continue', ack: this.ack(block) };
    return { kind: 'complete', ack: { num: block.num, more: false, szx: block.szx }, payload: Buffer.concat(this.chunks, this.received) };
  }

  private ack(block: BlockOption): BlockOption {
    return { num: block.num, more: true, szx: Math.min(block.szx, this.limits.preferredSzx ?? 6) };
  }
}
