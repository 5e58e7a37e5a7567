/**
 * AES-128-CCM-8 record protection (RFC 6655 §3, RFC 5246 §6.2.3.3, RFC 6347 §4.1.2.1), and the
 * additional data of Connection ID records (RFC 9146 §5).
 *
 * Nonce and additional data are written into scratch buffers reused by every record: OpenSSL
 * copies the nonce and absorbs the additional data during the call, so nothing outlives it, and
 * each record costs no allocation beyond what node:crypto's API makes itself.
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

const SALT_LENGTH = 4;
/** Additional data of a plain record (RFC 5246 §6.2.3.3) and of a CID record with the longest CID. */
const AAD_LENGTH = 13;
const CID_AAD_FIXED_LENGTH = 23;
const MAX_CID_LENGTH = 255;

const nonceScratch = Buffer.alloc(SALT_LENGTH + EXPLICIT_NONCE_LENGTH);
const aadScratch = Buffer.alloc(CID_AAD_FIXED_LENGTH + MAX_CID_LENGTH);

/**
 * RFC 5246 §6.2.3.3 with DTLS's seq_num = epoch + sequence_number (RFC 6347 §4.1.2.1).
 * The returned buffer is scratch: valid until the next call into this module.
 */
export function additionalData(epoch: number, sequenceNumber: number, type: number, version: number, plaintextLength: number): Buffer {
  aadScratch.writeUInt16BE(epoch, 0);
  aadScratch.writeUIntBE(sequenceNumber, 2, 6);
  aadScratch.writeUInt8(type, 8);
  aadScratch.writeUInt16BE(version, 9);
  aadScratch.writeUInt16BE(plaintextLength, 11);
  return aadScratch.subarray(0, AAD_LENGTH);
}

/**
 * RFC 9146 §5: seq_num_placeholder (8 x 0xff), tls12_cid, cid_length, tls12_cid, version, epoch,
 * sequence_number, cid, length_of_DTLSInnerPlaintext. The returned buffer is scratch, as above.
 */
export function cidAdditionalData(epoch: number, sequenceNumber: number, version: number, cid: Buffer, innerLength: number): Buffer {
  aadScratch.fill(0xff, 0, 8);
  aadScratch.writeUInt8(ContentType.Tls12Cid, 8);
  aadScratch.writeUInt8(cid.length, 9);
  aadScratch.writeUInt8(ContentType.Tls12Cid, 10);
  aadScratch.writeUInt16BE(version, 11);
  aadScratch.writeUInt16BE(epoch, 13);
  aadScratch.writeUIntBE(sequenceNumber, 15, 6);
  cid.copy(aadScratch, 21);
  aadScratch.writeUInt16BE(innerLength, 21 + cid.length);
  return aadScratch.subarray(0, CID_AAD_FIXED_LENGTH + cid.length);
}

/**
 * RFC 6655 §3: nonce = salt (4) + nonce_explicit (8), the explicit part being epoch + sequence
 * number. Writes nonce_explicit + ciphertext + tag into `out` at `offset` (CCM8_OVERHEAD +
 * plaintext length bytes).
 */
export function sealCcm8(keys: DirectionKeys, epoch: number, sequenceNumber: number, aad: Buffer, plaintext: Buffer, out: Buffer, offset: number): void {
  keys.salt.copy(nonceScratch, 0, 0, SALT_LENGTH);
  nonceScratch.writeUInt16BE(epoch, SALT_LENGTH);
  nonceScratch.writeUIntBE(sequenceNumber, SALT_LENGTH + 2, 6);
  const cipher = createCipheriv('aes-128-ccm', keys.key, nonceScratch, { authTagLength: CCM8_TAG_LENGTH });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  let at = offset + nonceScratch.copy(out, offset, SALT_LENGTH);
  at += ciphertext.copy(out, at);
  cipher.getAuthTag().copy(out, at);
}

/**
 * Opens a CCM-8 fragment (nonce_explicit + ciphertext + tag) with the additional data `aad`
 * (scratch from this module is fine). The explicit nonce is read from the record, not
 * recomputed: peers may fill it with anything unique (node-dtls-client uses random). Returns
 * undefined when the fragment is too short or does not authenticate.
 */
export function openCcm8(keys: DirectionKeys, fragment: Buffer, aad: Buffer): Buffer | undefined {
  if (fragment.length < CCM8_OVERHEAD) return undefined;
  const ciphertext = fragment.subarray(EXPLICIT_NONCE_LENGTH, fragment.length - CCM8_TAG_LENGTH);
  keys.salt.copy(nonceScratch, 0, 0, SALT_LENGTH);
  fragment.copy(nonceScratch, SALT_LENGTH, 0, EXPLICIT_NONCE_LENGTH);
  try {
    const decipher = createDecipheriv('aes-128-ccm', keys.key, nonceScratch, { authTagLength: CCM8_TAG_LENGTH });
    decipher.setAuthTag(fragment.subarray(fragment.length - CCM8_TAG_LENGTH));
    decipher.setAAD(aad, { plaintextLength: ciphertext.length });
    const plaintext = decipher.update(ciphertext);
    decipher.final(); // throws when the tag does not verify
    return plaintext;
  } catch {
    return undefined;
  }
}
