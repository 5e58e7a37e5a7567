/**
 * Device credentials for DTLS-PSK: identity and key per device. Keys are stored encrypted at rest
 * (AES-256-GCM with a data key from a `KeyProtector`: a local key file at home, KMS in AWS), are
 * never returned by the API and never logged. Each key is bound to its row: the context
 * `{identity, endpoint}` is the GCM additional data and, in AWS, the KMS encryption context, so a
 * ciphertext copied to another identity or endpoint does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CredentialMarkers, isReservedIdentity } from './credentialMarkers.ts';
import type { RevocationLog } from '../core/ports/RevocationLog.ts';
import type { CredentialStore, DeviceCredential } from '../core/ports/CredentialStore.ts';

interface StoredCredential extends DeviceCredential {
  /** base64 of iv(12) | tag(16) | ciphertext. */
  readonly encryptedKey: string;
  readonly keyId: string;
  /**
   * 2: sealed with the context `{identity, endpoint}`. Absent on rows written before the binding:
   * they are read without context, as written (re-provisioning the device rewrites them bound).
   */
  readonly sealVersion?: 2;
}

/** What a sealed secret is bound to: the GCM additional data, and the KMS encryption context. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** The context of a device key: the row it belongs to. */
export function credentialContext(credential: Pick<DeviceCredential, 'identity' | 'endpoint'>): EncryptionContext {
  return { identity: credential.identity, endpoint: credential.endpoint };
}

/** The context as GCM additional data: its entries sorted by key, as JSON (empty for none). */
export function additionalData(context: EncryptionContext | undefined): Buffer {
  if (context === undefined) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), 'utf8');
}

/** Encrypts and decrypts small secrets; the master key never leaves it. */
export interface KeyProtector {
  readonly keyId: string;
  /** Seals `plaintext`, bound to `context` when given: decrypt must be given the same context. */
  encrypt(plaintext: Buffer, context?: EncryptionContext): Promise<Buffer>;
  decrypt(ciphertext: Buffer, context?: EncryptionContext): Promise<Buffer>;
}

/** A 256-bit key in a local file (mode 0600), created on first use: the local stack's protector. */
export class LocalKeyFileProtector implements KeyProtector {
  readonly keyId: string;
  private key: Promise<Buffer> | undefined;

  constructor(private readonly path: string) {
    this.keyId = `file:${path}`;
  }

  async encrypt(plaintext: Buffer, context?: EncryptionContext): Promise<Buffer> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.masterKey(), iv);
    cipher.setAAD(additionalData(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  async decrypt(ciphertext: Buffer, context?: EncryptionContext): Promise<Buffer> {
    const decipher = createDecipheriv('aes-256-gcm', await this.masterKey(), ciphertext.subarray(0, 12));
    decipher.setAAD(additionalData(context));
    decipher.setAuthTag(ciphertext.subarray(12, 28));
    return Buffer.concat([decipher.update(ciphertext.subarray(28)), decipher.final()]);
  }

  private masterKey(): Promise<Buffer> {
    this.key ??= (async () => {
      try {
        const existing = await readFile(this.path);
        if (existing.length === 32) return existing;
        throw new Error(`key file ${this.path} does not hold a 256-bit key`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        const fresh = randomBytes(32);
        await mkdir(dirname(this.path), { recursive: true });
        await writeFile(this.path, fresh, { mode: 0o600, flag: 'wx' });
        await chmod(this.path, 0o600);
        return fresh;
      }
    })();
    return this.key;
  }
}

export class DynamoDbCredentialStore implements CredentialStore {
  private readonly markers: CredentialMarkers;
  private readonly listeners: ((identity: string) => void)[] = [];

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly protector: KeyProtector,
    private readonly clock: () => number = Date.now,
  ) {
    this.markers = new CredentialMarkers(dynamo, tableName);
  }

  async put(credential: DeviceCredential, key: Buffer): Promise<void> {
    if (isReservedIdentity(credential.identity)) throw new RangeError(`identity ${credential.identity} is reserved`);
    const sealed = await this.protector.encrypt(key, credentialContext(credential));
    const item: StoredCredential = { ...credential, encryptedKey: sealed.toString('base64'), keyId: this.protector.keyId, sealVersion: 2 };
    // The endpoint is held to DTLS before its key can open a session.
    await this.markers.addIdentity(credential.endpoint, credential.identity);
    const result = await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: { ...item }, ReturnValues: 'ALL_OLD' }));
    const previous = result.Attributes as StoredCredential | undefined;
    if (previous === undefined) return;
    if (previous.endpoint !== credential.endpoint) await this.markers.removeIdentity(previous.endpoint, credential.identity);
    await this.revoked(credential.identity);
  }

  async get(identity: string): Promise<DeviceCredential | undefined> {
    const item = await this.stored(identity);
    return item === undefined ? undefined : { identity: item.identity, endpoint: item.endpoint, createdAt: item.createdAt };
  }

  async pskFor(identity: string): Promise<Buffer | undefined> {
    const item = await this.stored(identity);
    if (item === undefined) return undefined;
    // Bound to the row it was sealed for: a ciphertext copied to another identity fails here.
    return this.protector.decrypt(Buffer.from(item.encryptedKey, 'base64'), item.sealVersion === 2 ? credentialContext(item) : undefined);
  }

  async remove(identity: string): Promise<boolean> {
    if (isReservedIdentity(identity)) return false;
    // The key goes first (no new handshake can use it), then the edge tasks end its live sessions.
    const result = await this.dynamo.send(new DeleteCommand({ TableName: this.tableName, Key: { identity }, ReturnValues: 'ALL_OLD' }));
    const removed = result.Attributes as StoredCredential | undefined;
    if (removed === undefined) return false;
    await this.revoked(identity);
    await this.markers.removeIdentity(removed.endpoint, identity);
    return true;
  }

  requiresDtls(endpoint: string): Promise<boolean> {
    return this.markers.hasIdentity(endpoint);
  }

  revocationLog(): Promise<RevocationLog> {
    return this.markers.revocationLog();
  }

  onRevoked(listener: (identity: string) => void): void {
    this.listeners.push(listener);
  }

  private async revoked(identity: string): Promise<void> {
    await this.markers.recordRevocation(identity, this.clock());
    for (const listener of this.listeners) listener(identity);
  }

  private async stored(identity: string): Promise<StoredCredential | undefined> {
    if (isReservedIdentity(identity)) return undefined;
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { identity }, ConsistentRead: true }));
    return result.Item as StoredCredential | undefined;
  }
}

/** The part of the KMS client the envelope protector uses (the SDK's KMSClient has it). */
export interface KmsApi {
  /** `context`: the KMS encryption context, which Decrypt must be given again. */
  generateDataKey(keyId: string, context?: EncryptionContext): Promise<{ plaintext: Buffer; encrypted: Buffer }>;
  decrypt(encrypted: Buffer, context?: EncryptionContext): Promise<Buffer>;
}

/**
 * KMS envelope encryption, the protector in AWS: each secret is sealed with a fresh data key
 * (AES-256-GCM), and only the KMS-encrypted data key is stored beside it; the master key never
 * leaves KMS. Layout: u16 length of the encrypted data key | encrypted data key | iv | tag | body.
 */
export class KmsEnvelopeProtector implements KeyProtector {
  readonly keyId: string;

  constructor(
    private readonly kms: KmsApi,
    kmsKeyId: string,
  ) {
    this.keyId = `kms:${kmsKeyId}`;
    this.kmsKeyId = kmsKeyId;
  }

  private readonly kmsKeyId: string;

  async encrypt(plaintext: Buffer, context?: EncryptionContext): Promise<Buffer> {
    const dataKey = await this.kms.generateDataKey(this.kmsKeyId, context);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
    cipher.setAAD(additionalData(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    dataKey.plaintext.fill(0);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(dataKey.encrypted.length);
    return Buffer.concat([length, dataKey.encrypted, iv, cipher.getAuthTag(), body]);
  }

  async decrypt(ciphertext: Buffer, context?: EncryptionContext): Promise<Buffer> {
    const keyLength = ciphertext.readUInt16BE(0);
    const encryptedKey = ciphertext.subarray(2, 2 + keyLength);
    const rest = ciphertext.subarray(2 + keyLength);
    const dataKey = await this.kms.decrypt(encryptedKey, context);
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, rest.subarray(0, 12));
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(rest.subarray(12, 28));
      return Buffer.concat([decipher.update(rest.subarray(28)), decipher.final()]);
    } finally {
      dataKey.fill(0);
    }
  }
}
