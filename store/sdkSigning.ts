/**
 * Request signing of the SDK's DynamoDB client, without the work a call does not need.
 * - In AWS: SigV4, with one signer per client. The SDK's default signer provider builds a new
 *   SignatureV4 from a copy of the whole client configuration for every call (1% of the local
 *   stack's CPU in the load test); the signing scheme of a client (service, region) never changes.
 * - Against dynalite: a request needs an `Authorization` header shaped like SigV4 and a date
 *   (dynalite checks their presence and never the signature), so no hashing of any body.
 */
import type { AuthScheme, HttpRequest, RequestSigner } from '@smithy/types';

type SignerProvider = (authScheme?: AuthScheme) => Promise<RequestSigner>;

/** Keeps the first signer the client's provider builds and answers it for every later call. */
export function cacheSigner(config: { signer: SignerProvider }): void {
  const build = config.signer;
  let signer: Promise<RequestSigner> | undefined;
  config.signer = (authScheme) => {
    signer ??= build(authScheme).catch((error: unknown) => {
      signer = undefined; // a failed build (credentials not ready) is tried again at the next call
      throw error;
    });
    return signer;
  };
}

/** For a local emulator only: the headers of a signed request, no signature computed. */
export function presenceOnlySigner(service: string): RequestSigner {
  return {
    sign: (request: HttpRequest) => {
      const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
      request.headers['x-amz-date'] = date;
      request.headers['authorization'] = `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/local/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`;
      return Promise.resolve(request);
    },
  };
}
