/**
 * Bodies of the handshake messages of a PSK handshake: ClientHello (RFC 6347 §4.2.1, RFC 5246
 * §7.4.1.2), HelloVerifyRequest (RFC 6347 §4.2.1), ServerHello (RFC 5246 §7.4.1.3),
 * ClientKeyExchange with a PSK identity (RFC 4279 §2), Finished (RFC 5246 §7.4.9).
 * Parsers throw DtlsDecodeError (a decode_error alert); callers catch at the handshake boundary.
 */
import { DtlsDecodeError } from './errors.ts';

export interface ClientHello {
  readonly version: number;
  readonly random: Buffer;
  readonly sessionId: Buffer;
  readonly cookie: Buffer;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: Buffer;
  /** Extensions by type; unknown ones are kept and ignored (RFC 5246 §7.4.1.4). */
  readonly extensions: ReadonlyMap<number, Buffer>;
}

export interface ServerHello {
  readonly version: number;
  readonly random: Buffer;
  readonly sessionId: Buffer;
  readonly cipherSuite: number;
  readonly extensions: ReadonlyMap<number, Buffer>;
}

/** Bounds-checked reads over a message body. */
class Reader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}

  uint(bytes: number): number {
    if (this.offset + bytes > this.data.length) throw new DtlsDecodeError('handshake message truncated');
    const value = this.data.readUIntBE(this.offset, bytes);
    this.offset += bytes;
    return value;
  }

  bytes(length: number): Buffer {
    if (this.offset + length > this.data.length) throw new DtlsDecodeError('handshake message truncated');
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A vector with a `lengthBytes`-byte length prefix, at most `max` bytes. */
  vector(lengthBytes: number, max: number): Buffer {
    const length = this.uint(lengthBytes);
    if (length > max) throw new DtlsDecodeError(`vector of ${length} bytes exceeds ${max}`);
    return this.bytes(length);
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }
}

function parseExtensions(reader: Reader): Map<number, Buffer> {
  const extensions = new Map<number, Buffer>();
  if (reader.remaining === 0) return extensions;
  const block = new Reader(reader.vector(2, 0xffff));
  while (block.remaining > 0) {
    const type = block.uint(2);
    const data = block.vector(2, 0xffff);
    // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same type."
    if (extensions.has(type)) throw new DtlsDecodeError(`duplicate extension ${type}`);
    extensions.set(type, data);
  }
  if (reader.remaining !== 0) throw new DtlsDecodeError('bytes after the extensions');
  return extensions;
}

function vector(lengthBytes: number, data: Buffer): Buffer {
  const prefix = Buffer.alloc(lengthBytes);
  prefix.writeUIntBE(data.length, 0, lengthBytes);
  return Buffer.concat([prefix, data]);
}

function uint16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value, 0);
  return out;
}

function encodeExtensions(extensions: readonly (readonly [number, Buffer])[]): Buffer {
  if (extensions.length === 0) return Buffer.alloc(0);
  return vector(2, Buffer.concat(extensions.map(([type, data]) => Buffer.concat([uint16(type), vector(2, data)]))));
}

export function parseClientHello(body: Buffer): ClientHello {
  const reader = new Reader(body);
  const version = reader.uint(2);
  const random = reader.bytes(32);
  const sessionId = reader.vector(1, 32);
  const cookie = reader.vector(1, 255);
  const suites = reader.vector(2, 0xfffe);
  if (suites.length < 2 || suites.length % 2 !== 0) throw new DtlsDecodeError('bad cipher_suites length');
  const cipherSuites: number[] = [];
  for (let i = 0; i < suites.length; i += 2) cipherSuites.push(suites.readUInt16BE(i));
  const compressionMethods = reader.vector(1, 255);
  if (compressionMethods.length < 1) throw new DtlsDecodeError('no compression methods');
  return { version, random, sessionId, cookie, cipherSuites, compressionMethods, extensions: parseExtensions(reader) };
}

export function encodeClientHello(hello: Omit<ClientHello, 'extensions'> & { readonly extensions: readonly (readonly [number, Buffer])[] }): Buffer {
  const suites = Buffer.alloc(hello.cipherSuites.length * 2);
  hello.cipherSuites.forEach((suite, i) => suites.writeUInt16BE(suite, i * 2));
  return Buffer.concat([
    uint16(hello.version),
    hello.random,
    vector(1, hello.sessionId),
    vector(1, hello.cookie),
    vector(2, suites),
    vector(1, hello.compressionMethods),
    encodeExtensions(hello.extensions),
  ]);
}

export function encodeHelloVerifyRequest(version: number, cookie: Buffer): Buffer {
  return Buffer.concat([uint16(version), vector(1, cookie)]);
}

export function parseHelloVerifyRequest(body: Buffer): { version: number; cookie: Buffer } {
  const reader = new Reader(body);
  return { version: reader.uint(2), cookie: reader.vector(1, 255) };
}

export function encodeServerHello(hello: Omit<ServerHello, 'extensions'> & { readonly extensions: readonly (readonly [number, Buffer])[] }): Buffer {
  return Buffer.concat([uint16(hello.version), hello.random, vector(1, hello.sessionId), uint16(hello.cipherSuite), Buffer.from([0]), encodeExtensions(hello.extensions)]);
}

export function parseServerHello(body: Buffer): ServerHello {
  const reader = new Reader(body);
  const version = reader.uint(2);
  const random = reader.bytes(32);
  const sessionId = reader.vector(1, 32);
  const cipherSuite = reader.uint(2);
  if (reader.uint(1) !== 0) throw new DtlsDecodeError('compression is not null');
  return { version, random, sessionId, cipherSuite, extensions: parseExtensions(reader) };
}

/** RFC 4279 §2: opaque psk_identity<0..2^16-1>. */
export function parsePskClientKeyExchange(body: Buffer): Buffer {
  const reader = new Reader(body);
  const identity = reader.vector(2, 0xffff);
  if (reader.remaining !== 0) throw new DtlsDecodeError('bytes after the PSK identity');
  return identity;
}

export function encodePskClientKeyExchange(identity: Buffer): Buffer {
  return vector(2, identity);
}

/** RFC 9146 §3: the connection_id extension is `opaque cid<0..2^8-1>`. */
export function encodeConnectionIdExtension(cid: Buffer): Buffer {
  return vector(1, cid);
}

export function parseConnectionIdExtension(data: Buffer): Buffer {
  const reader = new Reader(data);
  const cid = reader.vector(1, 255);
  if (reader.remaining !== 0) throw new DtlsDecodeError('bytes after the connection id');
  return cid;
}
