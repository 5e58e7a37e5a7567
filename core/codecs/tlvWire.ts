import { fail, ok, type Result } from '../result.ts';
import { ContentFormat } from '../lwm2m/ContentFormat.ts';
import { CodecError } from '../lwm2m/errors.ts';

/**
 * OMA TLV records (LwM2M TS 1.0 §6.4.3, 1.1 §7.4.3). Type byte: bits 7-6 identifier type,
 * bit 5 identifier length (8/16 bit), bits 4-3 length-field size (0..3 bytes), bits 2-0 the
 * length when bits 4-3 are 00.
 */

export type TlvKind = 'objectInstance' | 'resourceInstance' | 'multipleResource' | 'resourceValue';

interface TlvContainer<K extends TlvKind> {
  readonly kind: K;
  readonly id: number;
  readonly children: readonly Tlv[];
}
interface TlvLeaf<K extends TlvKind> {
  readonly kind: K;
  readonly id: number;
  readonly value: Uint8Array;
}
export type Tlv =
  | TlvContainer<'objectInstance'>
  | TlvContainer<'multipleResource'>
  | TlvLeaf<'resourceInstance'>
  | TlvLeaf<'resourceValue'>;

const KINDS: readonly TlvKind[] = ['objectInstance', 'resourceInstance', 'multipleResource', 'resourceValue'];

// Which records may sit inside which (§7.4.3.1): instances hold resources, multiple resources
// hold resource instances, values hold nothing. This bounds nesting to three levels.
const ALLOWED_CHILDREN: Readonly<Record<TlvKind, readonly TlvKind[]>> = {
  objectInstance: ['multipleResource', 'resourceValue'],
  multipleResource: ['resourceInstance'],
  resourceInstance: [],
  resourceValue: [],
};

const MAX_LENGTH = 0xffffff;

/** Parses a sequence of TLV records; `parent` restricts what may appear (undefined: top level). */
export function readTlvs(bytes: Uint8Array, parent?: TlvKind): Result<Tlv[], CodecError> {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Tlv[] = [];
  let pos = 0;
  while (pos < view.length) {
    const type = view.readUInt8(pos);
    const kind = KINDS[type >> 6] ?? 'resourceValue';
    if (parent !== undefined && !ALLOWED_CHILDREN[parent].includes(kind)) {
      return fail(new CodecError(ContentFormat.TLV, `${kind} TLV not allowed inside ${parent} at offset ${pos}`));
    }
    const idSize = type & 0x20 ? 2 : 1;
    const lengthSize = (type >> 3) & 0x03;
    const headerSize = 1 + idSize + lengthSize;
    if (pos + headerSize > view.length) return fail(new CodecError(ContentFormat.TLV, `truncated TLV header at offset ${pos}`));
    const id = view.readUIntBE(pos + 1, idSize);
    const length = lengthSize === 0 ? type & 0x07 : view.readUIntBE(pos + 1 + idSize, lengthSize);
    const start = pos + headerSize;
    if (start + length > view.length) {
      return fail(new CodecError(ContentFormat.TLV, `TLV at offset ${pos} claims ${length} bytes, only ${view.length - start} left`));
    }
    const content = view.subarray(start, start + length);
    if (kind === 'objectInstance' || kind === 'multipleResource') {
      const children = readTlvs(content, kind);
      if (!children.success) return children;
      records.push({ kind, id, children: children.data });
    } else {
      records.push({ kind, id, value: content });
    }
    pos = start + length;
  }
  return ok(records);
}

/** One TLV record with the smallest identifier and length fields. */
export function writeTlv(kind: TlvKind, id: number, content: Uint8Array): Result<Buffer, CodecError> {
  if (content.length > MAX_LENGTH) return fail(new CodecError(ContentFormat.TLV, `TLV content of ${content.length} bytes exceeds 24-bit length`));
  const idSize = id > 0xff ? 2 : 1;
  const lengthSize = content.length < 8 ? 0 : content.length <= 0xff ? 1 : content.length <= 0xffff ? 2 : 3;
  const header = Buffer.alloc(1 + idSize + lengthSize);
  let type = KINDS.indexOf(kind) << 6;
  if (idSize === 2) type |= 0x20;
  type |= lengthSize === 0 ? content.length : lengthSize << 3;
  header.writeUInt8(type, 0);
  header.writeUIntBE(id, 1, idSize);
  if (lengthSize > 0) header.writeUIntBE(content.length, 1 + idSize, lengthSize);
  return ok(Buffer.concat([header, content]));
}
