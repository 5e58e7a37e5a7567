/**
 * Block-wise transfer options (RFC 7959 §2.2): NUM (up to 20 bits), M, SZX (block size 2^(SZX+4)).
 */
export interface BlockOption {
  readonly num: number;
  readonly more: boolean;
  /** Block size exponent 0..6 (16..1024 bytes); 7 is reserved (BERT). */
  readonly szx: number;
}

export const MAX_BLOCK_NUM = 0xfffff;

export function blockSize(szx: number): number {
  return 1 << (szx + 4);
}

/** SZX for a block size in bytes, or undefined if it is not a power of two in 16..1024. */
export function szxForSize(size: number): number | undefined {
  const szx = Math.log2(size) - 4;
  return Number.isInteger(szx) && szx >= 0 && szx <= 6 ? szx : undefined;
}

/** Decodes a Block1/Block2 option value (0..3 bytes). Returns undefined when it is malformed. */
export function decodeBlockOption(value: Uint8Array): BlockOption | undefined {
  if (value.length > 3) return undefined;
  let raw = 0;
  for (const byte of value) raw = (raw << 8) | byte;
  const szx = raw & 0x07;
  if (szx === 7) return undefined;
  return { num: raw >>> 4, more: (raw & 0x08) !== 0, szx };
}

export function encodeBlockOption(block: BlockOption): Buffer {
  const raw = block.num * 16 + (block.more ? 8 : 0) + block.szx;
  if (raw === 0) return Buffer.alloc(0);
  if (raw < 0x100) return Buffer.from([raw]);
  if (raw < 0x10000) return Buffer.from([raw >> 8, raw & 0xff]);
  return Buffer.from([(raw >> 16) & 0xff, (raw >> 8) & 0xff, raw & 0xff]);
}

export type BlockSlice =
  | { readonly kind: 'block'; readonly start: number; readonly end: number; readonly option: BlockOption }
  | { readonly kind: 'outOfRange' };

/**
 * Which bytes of a resource of `totalSize` answer a Block2 request. A requested M bit is ignored
 * (RFC 7959 §2.2: it has no meaning in a request); a size above `maxSzx` is lowered to it.
 */
export function sliceForBlock2(totalSize: number, requested: BlockOption | undefined, maxSzx = 6): BlockSlice {
  const szx = Math.min(requested?.szx ?? maxSzx, maxSzx);
  const size = blockSize(szx);
  // When the server lowers the size, the requested NUM is rescaled to the same byte offset.
  const offset = requested === undefined ? 0 : requested.num * blockSize(requested.szx);
  const num = Math.floor(offset / size);
  const start = num * size;
  if (start >= totalSize && !(totalSize === 0 && start === 0)) return { kind: 'outOfRange' };
  const end = Math.min(start + size, totalSize);
  return { kind: 'block', start, end, option: { num, more: end < totalSize, szx } };
}
