import { describe, expect, it } from 'vitest';
import { blockSize, decodeBlockOption, encodeBlockOption, sliceForBlock2, szxForSize } from '../../core/lwm2m/blockwise.ts';

describe('block-wise options (RFC 7959)', () => {
  it('round-trips NUM, M and SZX through 0..3 option bytes', () => {
    for (const block of [
      { num: 0, more: false, szx: 0 },
      { num: 1, more: true, szx: 6 },
      { num: 4095, more: true, szx: 2 },
      { num: 0xfffff, more: false, szx: 6 },
    ]) {
      expect(decodeBlockOption(encodeBlockOption(block))).toEqual(block);
    }
    expect(encodeBlockOption({ num: 0, more: false, szx: 0 }).length).toBe(0);
  });

  it('rejects the reserved SZX 7 and options longer than 3 bytes', () => {
    expect(decodeBlockOption(Buffer.from([0x07]))).toBeUndefined();
    expect(decodeBlockOption(Buffer.from([1, 2, 3, 4]))).toBeUndefined();
  });

  it('maps sizes 16..1024 to SZX 0..6 and nothing else', () => {
    expect([16, 32, 64, 128, 256, 512, 1024].map(szxForSize)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(szxForSize(2048)).toBeUndefined();
    expect(szxForSize(100)).toBeUndefined();
    expect(blockSize(6)).toBe(1024);
  });

  it('slices the last block short and clears M on it', () => {
    const slice = sliceForBlock2(1000, { num: 1, more: false, szx: 5 });
    expect(slice).toEqual({ kind: 'block', start: 512, end: 1000, option: { num: 1, more: false, szx: 5 } });
  });

  it('ignores an M bit in the request and refuses a block past the end', () => {
    expect(sliceForBlock2(100, { num: 0, more: true, szx: 2 })).toMatchObject({ kind: 'block', start: 0, end: 64, option: { more: true } });
    expect(sliceForBlock2(100, { num: 2, more: false, szx: 2 })).toEqual({ kind: 'outOfRange' });
  });

  it('serves the whole first block at the largest size when the request has no Block2', () => {
    expect(sliceForBlock2(5000, undefined)).toMatchObject({ start: 0, end: 1024, option: { num: 0, more: true, szx: 6 } });
  });
});
