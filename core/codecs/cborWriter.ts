/**
 * A small deterministic CBOR writer (RFC 8949 §3, preferred serialisation of §4.2.1 for heads):
 * for formats whose bytes we pin with golden fixtures and whose floats must stay floats even
 * when integral (a float resource holding 21 is written as a float, not as the integer 21).
 */
import { encodeCborFloat } from './cborWire.ts';

export const CborMajor = { unsigned: 0, negative: 1, bytes: 2, text: 3, array: 4, map: 5 } as const;
type Major = (typeof CborMajor)[keyof typeof CborMajor];

export class CborWriter {
  private readonly chunks: Buffer[] = [];

  /** The initial byte and argument of a data item (§3): shortest form. */
  head(major: Major, argument: number | bigint): this {
    const n = BigInt(argument);
    const type = major << 5;
    if (n < 24n) this.chunks.push(Buffer.from([type | Number(n)]));
    else if (n <= 0xffn) this.chunks.push(Buffer.from([type | 24, Number(n)]));
    else if (n <= 0xffffn) {
      const b = Buffer.alloc(3);
      b[0] = type | 25;
      b.writeUInt16BE(Number(n), 1);
      this.chunks.push(b);
    } else if (n <= 0xffffffffn) {
      const b = Buffer.alloc(5);
      b[0] = type | 26;
      b.writeUInt32BE(Number(n), 1);
      this.chunks.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = type | 27;
      b.writeBigUInt64BE(n, 1);
      this.chunks.push(b);
    }
    return this;
  }

  /** An integer, major type 0 or 1 (-1 - n for negatives). */
  integer(value: number | bigint): this {
    const n = BigInt(value);
    return n >= 0n ? this.head(CborMajor.unsigned, n) : this.head(CborMajor.negative, -1n - n);
  }

  text(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    this.head(CborMajor.text, bytes.length);
    this.chunks.push(bytes);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.head(CborMajor.bytes, value.length);
    this.chunks.push(Buffer.from(value));
    return this;
  }

  boolean(value: boolean): this {
    this.chunks.push(Buffer.from([value ? 0xf5 : 0xf4]));
    return this;
  }

  float(value: number): this {
    this.chunks.push(encodeCborFloat(value));
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
