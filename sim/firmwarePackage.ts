/**
 * The simulated devices' firmware package format: "FWPK", a version string, the body, and a
 * SHA-256 of everything before it. A simulated device checks the trailer after download, as a real
 * bootloader checks a signature, and reports Update Result 5 when it does not match.
 */
import { createHash, randomBytes } from 'node:crypto';

const MAGIC = Buffer.from('FWPK');
const HASH_BYTES = 32;

export function buildFirmwarePackage(version: string, bodyBytes: number, seed?: Buffer): Buffer {
  const versionBytes = Buffer.from(version, 'utf8');
  if (versionBytes.length > 255) throw new RangeError('version longer than 255 bytes');
  const body = seed === undefined ? randomBytes(bodyBytes) : Buffer.alloc(bodyBytes, seed);
  const head = Buffer.concat([MAGIC, Buffer.from([versionBytes.length]), versionBytes, body]);
  return Buffer.concat([head, createHash('sha256').update(head).digest()]);
}

export type ParsedPackage = { readonly valid: true; readonly version: string } | { readonly valid: false; readonly reason: 'format' | 'integrity' };

export function parseFirmwarePackage(bytes: Buffer): ParsedPackage {
  if (bytes.length < MAGIC.length + 1 + HASH_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) return { valid: false, reason: 'format' };
  const versionLength = bytes[4] ?? 0;
  if (5 + versionLength + HASH_BYTES > bytes.length) return { valid: false, reason: 'format' };
  const head = bytes.subarray(0, bytes.length - HASH_BYTES);
  const trailer = bytes.subarray(bytes.length - HASH_BYTES);
  if (!createHash('sha256').update(head).digest().equals(trailer)) return { valid: false, reason: 'integrity' };
  return { valid: true, version: bytes.subarray(5, 5 + versionLength).toString('utf8') };
}
