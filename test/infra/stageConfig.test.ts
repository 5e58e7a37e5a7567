import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseStageConfig, StageConfigurationError } from '../../infra/stageConfig.ts';

describe('per-stage configuration from CDK context', () => {
  it('defaults to dev with two edge tasks, 90-day logs, retained data and NoSec allowed', () => {
    expect(parseStageConfig({})).toEqual({ stage: 'dev', edgeDesiredCount: 2, logRetention: RetentionDays.THREE_MONTHS, retainData: true, allowNoSec: false, requireSignedImages: false, imageSigners: [] });
  });

  it('keeps prod logs for a year by default', () => {
    expect(parseStageConfig({ stage: 'prod' }).logRetention).toBe(RetentionDays.ONE_YEAR);
  });

  it('accepts the strings that `cdk -c key=value` passes', () => {
    const config = parseStageConfig({ stage: 'test', edgeDesiredCount: '3', logRetentionDays: '30', retainData: 'false', allowNoSec: 'false', publicHost: 'lwm2m.example.net' });
    expect(config).toEqual({ stage: 'test', edgeDesiredCount: 3, logRetention: RetentionDays.ONE_MONTH, retainData: false, allowNoSec: false, publicHost: 'lwm2m.example.net', requireSignedImages: false, imageSigners: [] });
  });

  it('accepts the JSON types of cdk.json', () => {
    expect(parseStageConfig({ edgeDesiredCount: 5, retainData: false, allowNoSec: true })).toMatchObject({ edgeDesiredCount: 5, retainData: false, allowNoSec: true });
  });

  it('refuses to drop the data of the prod stage', () => {
    expect(() => parseStageConfig({ stage: 'prod', retainData: 'false' })).toThrow(StageConfigurationError);
  });

  it.each([
    [{ logRetentionDays: '42' }, /logRetentionDays must be one of/],
    [{ edgeDesiredCount: '0' }, /at least 1/],
    [{ edgeDesiredCount: 'two' }, /whole number/],
    [{ allowNoSec: 'no' }, /true or false/],
    [{ stage: 'Prod_1' }, /lower-case letters/],
  ])('rejects %o with a message naming the key', (context, message) => {
    expect(() => parseStageConfig(context)).toThrow(message);
  });

  describe('image signing', () => {
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

    it('takes the signer keys as JSON text from `-c imageSigners=...` and requireSignedImages as a string', () => {
      const signers = [{ name: 'release', publicKeyPem: ed25519 }, { name: 'factory', publicKeyPem: p256 }];
      expect(parseStageConfig({ requireSignedImages: 'true', imageSigners: JSON.stringify(signers) })).toMatchObject({ requireSignedImages: true, imageSigners: signers });
    });

    it('takes the signer keys as a list from cdk.json', () => {
      expect(parseStageConfig({ imageSigners: [{ name: 'release', publicKeyPem: ed25519 }] }).imageSigners).toEqual([{ name: 'release', publicKeyPem: ed25519 }]);
    });

    it.each([
      [{ requireSignedImages: 'true' }, /needs at least one key in imageSigners/],
      [{ imageSigners: '[{"name":"x"' }, /imageSigners must be JSON/],
      [{ imageSigners: [{ name: 'x' }] }, /imageSigners\[0\] must be/],
      [{ imageSigners: [{ name: 'x', publicKeyPem: 'not a key' }] }, /not a PEM public key/],
      [{ imageSigners: [{ name: 'old', publicKeyPem: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString() }] }, /only Ed25519 and ECDSA P-256/],
    ])('rejects %o at synth, with the reason', (context, message) => {
      expect(() => parseStageConfig(context)).toThrow(message);
    });
  });
});
