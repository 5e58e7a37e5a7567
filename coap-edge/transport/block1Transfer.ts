/**
 * Block-wise Write from the edge to a device: the client side of Block1 (RFC 7959 §2.5), used to
 * push a firmware package to /5/0/0. Lock-step: one block per round trip, each sliced from the
 * caller's buffer without copying, so a push holds no bytes of its own. The device steers the
 * size: a smaller SZX in its 2.31 Continue is used from the next block on (same byte offset); a
 * 4.13 restarts the transfer at the size its Block1 or Size1 allows (§2.9.3, §4).
 */
import { randomBytes } from 'node:crypto';
import { blockSize, decodeBlockOption, encodeBlockOption } from '../../core/lwm2m/blockwise.ts';
import { CoapOption, encodeUint } from './coapOptions.ts';
import type { CoapTransport, DeviceResponse, Peer } from './CoapTransport.ts';
import { isSuccessCode, ResponseCode } from '../../core/coap/ResponseCode.ts';

export interface Block1Request {
  readonly method: 'PUT' | 'POST';
  readonly path: string;
  readonly payload: Uint8Array;
  readonly contentFormat: number;
}

export interface Block1Options {
  /** SZX to start with (block size 2^(SZX+4)). @default 6 (1024 bytes) */
  readonly szx?: number;
  /** Stops the transfer before its next block. */
  readonly signal?: AbortSignal;
  /** Per-block response timeout. */
  readonly timeoutMs?: number;
}

export type Block1Outcome =
  | { readonly kind: 'done'; readonly code: string; readonly blocks: number; readonly blockSize: number }
  /** The device answered an error (4.08 Request Entity Incomplete, 4.05, 5.xx...). */
  | { readonly kind: 'refused'; readonly code: string; readonly blocks: number }
  /** 4.13 and no smaller block size left to try, or a Size1 below the payload's size. */
  | { readonly kind: 'tooLarge'; readonly maxBytes?: number }
  | { readonly kind: 'aborted'; readonly blocks: number };

/** Every restart lowers SZX, so at most seven attempts (1024 down to 16 bytes). */
const MAX_ATTEMPTS = 7;

export async function writeBlockwise(transport: Pick<CoapTransport, 'request'>, peer: Peer, request: Block1Request, options: Block1Options = {}): Promise<Block1Outcome> {
  const payload = request.payload;
  let szx = Math.min(Math.max(options.szx ?? 6, 0), 6);
  let blocks = 0;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // One token per transfer: devices that tie blocks to the token keep them together.
    const token = randomBytes(8);
    let offset = 0;
    let restartAt: number | undefined;
    do {
      if (options.signal?.aborted === true) return { kind: 'aborted', blocks };
      const size = blockSize(szx);
      const blockwise = offset > 0 || payload.length > size;
      const end = blockwise ? Math.min(offset + size, payload.length) : payload.length;
      const more = end < payload.length;
      const blockOptions: (readonly [number, Buffer])[] = [];
      if (blockwise) {
        blockOptions.push([CoapOption.Block1, encodeBlockOption({ num: offset / size, more, szx })]);
        if (offset === 0) blockOptions.push([CoapOption.Size1, encodeUint(payload.length)]);
      }
      const response = await transport.request(peer, {
        method: request.method,
        path: request.path,
        payload: payload.subarray(offset, end),
        contentFormat: request.contentFormat,
        token,
        ...(blockOptions.length === 0 ? {} : { options: blockOptions }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      blocks++;
      if (response.code === ResponseCode.Continue) {
        if (!more) return { kind: 'refused', code: ResponseCode.Continue, blocks };
        const ack = response.block1 === undefined ? undefined : decodeBlockOption(response.block1);
        // A smaller size from the device applies from the next block; `end` is a multiple of it.
        if (ack !== undefined && ack.szx < szx) szx = ack.szx;
        offset = end;
        continue;
      }
      if (isSuccessCode(response.code)) {
        // A success before the last block means the device did not take the body block-wise.
        return more ? { kind: 'refused', code: `${response.code} before the last block`, blocks } : { kind: 'done', code: response.code, blocks, blockSize: size };
      }
      if (response.code !== ResponseCode.RequestEntityTooLarge) return { kind: 'refused', code: response.code, blocks };
      const smaller = smallerSzx(response, szx, payload.length);
      if (smaller.kind === 'tooLarge') return smaller;
      szx = smaller.szx;
      restartAt = 0;
    } while (offset < payload.length && restartAt === undefined);
    if (restartAt === undefined) return { kind: 'refused', code: 'no final response', blocks };
  }
  return { kind: 'tooLarge' };
}

/** What a 4.13 asks for: the Block1 size it names, a size under its Size1, or half the size. */
function smallerSzx(response: DeviceResponse, szx: number, totalBytes: number): { kind: 'retry'; szx: number } | { kind: 'tooLarge'; maxBytes?: number } {
  const preferred = response.block1 === undefined ? undefined : decodeBlockOption(response.block1);
  if (preferred !== undefined && preferred.szx < szx) return { kind: 'retry', szx: preferred.szx };
  const size1 = response.size1;
  if (size1 !== undefined) {
    // Below the block we sent: a per-message limit. Otherwise a limit on the whole package.
    if (size1 < blockSize(szx)) return size1 >= 16 ? { kind: 'retry', szx: Math.floor(Math.log2(size1)) - 4 } : { kind: 'tooLarge', maxBytes: size1 };
    if (size1 < totalBytes) return { kind: 'tooLarge', maxBytes: size1 };
  }
  return szx > 0 ? { kind: 'retry', szx: szx - 1 } : { kind: 'tooLarge' };
}
