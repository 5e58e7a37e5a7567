/**
 * SigV4 signing of API requests for a deployed stack: API Gateway's IAM authorization checks a
 * Signature Version 4 for the service `execute-api` (AWS docs, "Signing AWS API requests"). The
 * credentials come from the standard chain (environment, SSO, profiles, instance roles...).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';

/** A request about to be sent: the URL as it goes on the wire, its method, headers and body. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Adds authentication headers to an outgoing request. */
export interface RequestSigner {
  sign(request: OutgoingRequest): Promise<Record<string, string>>;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** SHA-256 (or HMAC-SHA-256 with a secret) on node:crypto, in the shape the signer expects. */
export class NodeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

/** The region in an API Gateway host name, `{api}.execute-api.{region}.amazonaws.com`. */
export function regionOfApiUrl(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1];
}

export class SigV4RequestSigner implements RequestSigner {
  private readonly signer: SignatureV4;

  constructor(region: string, credentials: AwsCredentials | (() => Promise<AwsCredentials>)) {
    this.signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: NodeSha256, applyChecksum: false });
  }

  async sign(request: OutgoingRequest): Promise<Record<string, string>> {
    const { url } = request;
    const signed = await this.signer.sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      // The path as sent (percent-encoded once); the signer encodes it again, as SigV4 wants for
      // every service but S3.
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...request.headers, host: url.host },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    return signed.headers;
  }
}

/** A signer for a deployed stack's API, with credentials from the standard AWS chain. */
export function signerForDeployedApi(url: URL, env: NodeJS.ProcessEnv, region?: string): SigV4RequestSigner {
  const resolved = region ?? regionOfApiUrl(url) ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (resolved === undefined) throw new Error(`cannot tell the AWS region of ${url.host}: pass --region or set AWS_REGION`);
  return new SigV4RequestSigner(resolved, fromNodeProviderChain());
}
