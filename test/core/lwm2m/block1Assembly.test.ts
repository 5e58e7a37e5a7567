import { describe, expect, it } from 'vitest';
import { Block1Assembly } from '../../../core/lwm2m/block1Assembly.ts';

const limits = { maxBodyBytes: 100 };
const bytes = (n: number, fill = 0x61) => Buffer.alloc(n, fill);

function begun(): Block1Assembly {
  const { assembly } = Block1Assembly.begin({ num: 0, more: true, szx: 0 }, bytes(16), undefined, limits);
  if (assembly === undefined) throw new Error('transfer not begun');
  return assembly;
}

describe('Block1 reassembly bookkeeping (RFC 7959 §2.5)', () => {
  it('begins a transfer with block 0 and acknowledges it with M=1', () => {
    const { step, assembly } = Block1Assembly.begin({ num: 0, more: true, szx: 0 }, bytes(16), undefined, limits);

    expect(step).toEqual({ kind: 'continue', ack: { num: 0, more: true, szx: 0 } });
    expect(assembly?.bufferedBytes).toBe(16);
  });

  it('refuses a first block whose Size1 is over the limit before keeping a byte', () => {
    const { step, assembly } = Block1Assembly.begin({ num: 0, more: true, szx: 0 }, bytes(16), 101, limits);

    expect(step).toEqual({ kind: 'tooLarge', maxBytes: 100 });
    expect(assembly).toBeUndefined();
  });

  it('calls a transfer that starts past block 0 incomplete', () => {
    expect(Block1Assembly.begin({ num: 1, more: true, szx: 0 }, bytes(16), undefined, limits).step.kind).toBe('incomplete');
  });

  it('completes with the blocks concatenated in order and acknowledges the last with M=0', () => {
    const assembly = begun();
    assembly.accept({ num: 1, more: true, szx: 0 }, bytes(16, 0x62));

    const step = assembly.accept({ num: 2, more: false, szx: 0 }, Buffer.from('end'));

    expect(step).toEqual({ kind: 'complete', ack: { num: 2, more: false, szx: 0 }, payload: Buffer.concat([bytes(16), bytes(16, 0x62), Buffer.from('end')]) });
  });

  it('calls a block after a gap incomplete', () => {
    expect(begun().accept({ num: 2, more: true, szx: 0 }, bytes(16)).kind).toBe('incomplete');
  });

  it('acknowledges a repeated block again without keeping its bytes twice', () => {
    const assembly = begun();

    const step = assembly.accept({ num: 0, more: true, szx: 0 }, bytes(16));

    expect(step.kind).toBe('continue');
    expect(assembly.bufferedBytes).toBe(16);
  });

  it('calls an intermediate block shorter than its size malformed', () => {
    expect(begun().accept({ num: 1, more: true, szx: 0 }, bytes(15)).kind).toBe('malformed');
  });

  it('refuses a block that takes the body past the limit', () => {
    const assembly = begun();
    for (let num = 1; num < 6; num++) assembly.accept({ num, more: true, szx: 0 }, bytes(16));

    expect(assembly.accept({ num: 6, more: true, szx: 0 }, bytes(16))).toEqual({ kind: 'tooLarge', maxBytes: 100 });
  });

  it('lines up a client that lowers its block size: blocks are placed by byte offset', () => {
    const { assembly } = Block1Assembly.begin({ num: 0, more: true, szx: 1 }, bytes(32), undefined, { maxBodyBytes: 100, preferredSzx: 0 });

    const step = assembly?.accept({ num: 2, more: false, szx: 0 }, bytes(5, 0x62));

    expect(step).toMatchObject({ kind: 'complete', payload: Buffer.concat([bytes(32), bytes(5, 0x62)]) });
  });

  it('asks for its preferred smaller size in the acknowledgement of a larger block', () => {
    const { step } = Block1Assembly.begin({ num: 0, more: true, szx: 6 }, bytes(1024), undefined, { maxBodyBytes: 4096, preferredSzx: 4 });

    expect(step).toEqual({ kind: 'continue', ack: { num: 0, more: true, szx: 4 } });
  });
});
