import { describe, expect, it } from 'vitest';
import type { AuthScheme, HttpRequest, RequestSigner } from '@smithy/types';
import { cacheSigner, presenceOnlySigner } from '../../store/sdkSigning.ts';

const signer: RequestSigner = { sign: (request) => Promise.resolve(request) };

describe('the DynamoDB client\'s signing', () => {
  it('builds the SigV4 signer once for all calls', async () => {
    // Prepare
    let built = 0;
    const config = { signer: (_scheme?: AuthScheme) => (built++, Promise.resolve(signer)) };
    cacheSigner(config);

    // Act
    const signers = await Promise.all([config.signer(), config.signer(), config.signer()]);

    // Assess
    expect(built).toBe(1);
    expect(signers).toEqual([signer, signer, signer]);
  });

  it('builds it again at the next call when a build failed (credentials not ready)', async () => {
    let built = 0;
    const config = { signer: (_scheme?: AuthScheme) => (++built === 1 ? Promise.reject(new Error('no credentials yet')) : Promise.resolve(signer)) };
    cacheSigner(config);

    await expect(config.signer()).rejects.toThrow('no credentials yet');
    expect(await config.signer()).toBe(signer);
    expect(built).toBe(2);
  });

  it('gives a local emulator the headers of a SigV4 request, dated now', async () => {
    const request = { headers: {} } as HttpRequest;

    await presenceOnlySigner('dynamodb').sign(request);

    expect(request.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/local\/dynamodb\/aws4_request, SignedHeaders=host;x-amz-date, Signature=0$/);
    expect(request.headers['x-amz-date']).toMatch(new RegExp(`^${new Date().toISOString().slice(0, 10).replaceAll('-', '')}T\\d{6}Z$`));
  });
});
