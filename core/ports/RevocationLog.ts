/**
 * The log of revoked and replaced DTLS keys, as the credential store returns it.
 */
/** One revoked (or replaced) key: `epoch` is its position in the log. */
export interface CredentialRevocation {
  readonly epoch: number;
  readonly identity: string;
  readonly at: number;
}

/** The revocation log as an edge task reads it: the current epoch and the entries still kept. */
export interface RevocationLog {
  readonly epoch: number;
  readonly entries: readonly CredentialRevocation[];
}
