/**
 * Where devices' DTLS-PSK identities and keys are kept, and the log of revoked keys every edge
 * task polls. Implemented by store/DeviceCredentialStore.ts.
 */
import type { RevocationLog } from './RevocationLog.ts';

export interface DeviceCredential {
  readonly identity: string;
  readonly endpoint: string;
  readonly createdAt: number;
}

export interface CredentialStore {
  /** Provisions a key; replacing the key of an existing identity revokes the old one. */
  put(credential: DeviceCredential, key: Buffer): Promise<void>;
  get(identity: string): Promise<DeviceCredential | undefined>;
  /** The PSK of an identity, decrypted, for the DTLS handshake. */
  pskFor(identity: string): Promise<Buffer | undefined>;
  /** Revokes an identity: its key is gone, and the revocation is logged for every edge task. */
  remove(identity: string): Promise<boolean>;
  /** Whether the endpoint has a provisioned key: it then registers over DTLS only. */
  requiresDtls(endpoint: string): Promise<boolean>;
  /** The log of revoked and replaced keys, which each edge task polls. */
  revocationLog(): Promise<RevocationLog>;
  /** Called in this process at once when a key is revoked or replaced through this store. */
  onRevoked(listener: (identity: string) => void): void;
}
