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

type Extensions = readonly (readonly [number, Buffer])[];

/** Sequential writes into one buffer whose length the encoder computed up front: one allocation per message. */
class Writer {
  readonly out: Buffer;
  private offset = 0;
  constructor(length: number) {
    this.out = Buffer.allocUnsafe(length);
  }

  uint(value: number, bytes: number): this {
    this.offset = this.out.writeUIntBE(value, this.offset, bytes);
    return this;
  }

  bytes(data: Buffer): this {
    this.offset += data.copy(this.out, this.offset);
    return this;
  }

  /** `data` with a `lengthBytes`-byte length prefix. */
  vector(lengthBytes: number, data: Buffer): this {
    return this.uint(data.length, lengthBytes).bytes(data);
  }

  /** The extensions block (RFC 5246 §7.4.1.4), nothing when there are none. */
  extensions(extensions: Extensions): this {
    if (extensions.length === 0) return this;
    this.uint(extensionsLength(extensions) - 2, 2);
    for (const [type, data] of extensions) this.uint(type, 2).vector(2, data);
    return this;
  }
}

/** Bytes of the extensions block with its length prefix; 0 when there are none (the block is left out). */
function extensionsLength(extensions: Extensions): number {
  if (extensions.length === 0) return 0;
  let length = 2;
  for (const [, data] of extensions) length += 4 + data.length;
  return length;
}

function vector(lengthBytes: number, data: Buffer): Buffer {
  return new Writer(lengthBytes + data.length).vector(lengthBytes, data).out;
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

export function encodeClientHello(hello: Omit<ClientHello, 'extensions'> & { readonly extensions: Extensions }): Buffer {
  const length = 2 + hello.random.length + 1 + hello.sessionId.length + 1 + hello.cookie.length + 2 + 2 * hello.cipherSuites.length + 1 + hello.compressionMethods.length + extensionsLength(hello.extensions);
  const writer = new Writer(length).uint(hello.version, 2).bytes(hello.random).vector(1, hello.sessionId).vector(1, hello.cookie).uint(2 * hello.cipherSuites.length, 2);
  for (const suite of hello.cipherSuites) writer.uint(suite, 2);
  return writer.vector(1, hello.compressionMethods).extensions(hello.extensions).out;
}

export function encodeHelloVerifyRequest(version: number, cookie: Buffer): Buffer {
  return new Writer(3 + cookie.length).uint(version, 2).vector(1, cookie).out;
}

export function parseHelloVerifyRequest(body: Buffer): { version: number; cookie: Buffer } {
  const reader = new Reader(body);
  return { version: reader.uint(2), cookie: reader.vector(1, 255) };
}

export function encodeServerHello(hello: Omit<ServerHello, 'extensions'> & { readonly extensions: Extensions }): Buffer {
  const length = 2 + hello.random.length + 1 + hello.sessionId.length + 2 + 1 + extensionsLength(hello.extensions);
  // compression_method null (0)
  return new Writer(length).uint(hello.version, 2).bytes(hello.random).vector(1, hello.sessionId).uint(hello.cipherSuite, 2).uint(0, 1).extensions(hello.extensions).out;
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
