/**
 * AES-128-CCM-8 record protection (RFC 6655 §3, RFC 5246 §6.2.3.3, RFC 6347 §4.1.2.1), and the
 * additional data of Connection ID records (RFC 9146 §5).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ContentType } from './constants.ts';

/** One direction's traffic keys: the write key and the 4-byte implicit nonce part (salt). */
export interface DirectionKeys {
  readonly key: Buffer;
  readonly salt: Buffer;
}

export const CCM8_TAG_LENGTH = 8;
export const EXPLICIT_NONCE_LENGTH = 8;
/** Bytes a CCM-8 record adds to its plaintext: explicit nonce and tag. */
export const CCM8_OVERHEAD = EXPLICIT_NONCE_LENGTH + CCM8_TAG_LENGTH;

/** RFC 5246 §6.2.3.3 with DTLS's seq_num = epoch + sequence_number (RFC 6347 §4.1.2.1). */
export function additionalData(epoch: number, sequenceNumber: number, type: number, version: number, plaintextLength: number): Buffer {
  const aad = Buffer.allocUnsafe(13);
  aad.writeUInt16BE(epoch, 0);
  aad.writeUIntBE(sequenceNumber, 2, 6);
  aad.writeUInt8(type, 8);
  aad.writeUInt16BE(version, 9);
  aad.writeUInt16BE(plaintextLength, 11);
  return aad;
}

/**
 * RFC 9146 §5: seq_num_placeholder (8 x 0xff), tls12_cid, cid_length, tls12_cid, version, epoch,
 * sequence_number, cid, length_of_DTLSInnerPlaintext.
 */
export function cidAdditionalData(epoch: number, sequenceNumber: number, version: number, cid: Buffer, innerLength: number): Buffer {
  const aad = Buffer.allocUnsafe(23 + cid.length);
  aad.fill(0xff, 0, 8);
  aad.writeUInt8(ContentType.Tls12Cid, 8);
  aad.writeUInt8(cid.length, 9);
  aad.writeUInt8(ContentType.Tls12Cid, 10);
  aad.writeUInt16BE(version, 11);
  aad.writeUInt16BE(epoch, 13);
  aad.writeUIntBE(sequenceNumber, 15, 6);
  cid.copy(aad, 21);
  aad.writeUInt16BE(innerLength, 21 + cid.length);
  return aad;
}

/** RFC 6655 §3: nonce = salt (4) + nonce_explicit (8). Returns nonce_explicit + ciphertext + tag. */
export function sealCcm8(keys: DirectionKeys, nonceExplicit: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-ccm', keys.key, Buffer.concat([keys.salt, nonceExplicit]), { authTagLength: CCM8_TAG_LENGTH });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([nonceExplicit, ciphertext, cipher.getAuthTag()]);
}

/**
 * Opens a CCM-8 fragment (nonce_explicit + ciphertext + tag). The explicit nonce is read from the
 * record, not recomputed: peers may fill it with anything unique (node-dtls-client uses random).
 * Returns undefined when the fragment is too short or does not authenticate.
 */
export function openCcm8(keys: DirectionKeys, fragment: Buffer, aadFor: (plaintextLength: number) => Buffer): Buffer | undefined {
  if (fragment.length < CCM8_OVERHEAD) return undefined;
  const ciphertext = fragment.subarray(EXPLICIT_NONCE_LENGTH, fragment.length - CCM8_TAG_LENGTH);
  const nonce = Buffer.concat([keys.salt, fragment.subarray(0, EXPLICIT_NONCE_LENGTH)]);
  try {
    const decipher = createDecipheriv('aes-128-ccm', keys.key, nonce, { authTagLength: CCM8_TAG_LENGTH });
    decipher.setAuthTag(fragment.subarray(fragment.length - CCM8_TAG_LENGTH));
    decipher.setAAD(aadFor(ciphertext.length), { plaintextLength: ciphertext.length });
    const plaintext = decipher.update(ciphertext);
    decipher.final(); // throws when the tag does not verify
    return plaintext;
  } catch {
    return undefined;
  }
}
