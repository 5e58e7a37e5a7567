import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseStageConfig, StageConfigurationError } from '../../infra/stageConfig.ts';

describe('per-stage configuration from CDK context', () => {
  it('defaults to dev with two edge tasks, 90-day logs, retained data and NoSec allowed', () => {
    expect(parseStageConfig({})).toEqual({ stage: 'dev', edgeDesiredCount: 2, logRetention: RetentionDays.THREE_MONTHS, retainData: true, allowNoSec: false, requireSignedImages: false, imageSigners: [], customerManagedKeys: false, retentionDays: 90, defaultApprovers: 1 });
  });

  it('keeps prod logs for a year and encrypts prod data with customer-managed keys by default', () => {
    const prod = parseStageConfig({ stage: 'prod', publicHost: 'lwm2m.example.net' });
    expect(prod.logRetention).toBe(RetentionDays.ONE_YEAR);
    expect(prod.customerManagedKeys).toBe(true);
    expect(parseStageConfig({ stage: 'prod', publicHost: 'lwm2m.example.net', customerManagedKeys: 'false' }).customerManagedKeys).toBe(false);
  });

  it('refuses the prod stage without publicHost, saying why', () => {
    expect(() => parseStageConfig({ stage: 'prod' })).toThrow(/publicHost is required for stage prod.*NLB DNS name changes/);
  });

  it('takes the dashboard domain with its us-east-1 certificate, and neither without the other', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0d6f7d4e-1111-2222-3333-444455556666';
    expect(parseStageConfig({ dashboardDomain: 'fota.example.com', dashboardCertificateArn: certificateArn }).dashboardDomain).toEqual({ domainName: 'fota.example.com', certificateArn });
    expect(() => parseStageConfig({ dashboardDomain: 'fota.example.com' })).toThrow(/dashboardDomain and dashboardCertificateArn go together/);
    expect(() => parseStageConfig({ dashboardDomain: 'fota.example.com', dashboardCertificateArn: certificateArn.replace('us-east-1', 'eu-west-1') })).toThrow(/in us-east-1/);
  });

  it('turns four eyes on for every campaign that does not say with defaultApprovers 2, and refuses anything but 1 or 2', () => {
    expect(parseStageConfig({ defaultApprovers: '2' }).defaultApprovers).toBe(2);
    expect(() => parseStageConfig({ defaultApprovers: '3' })).toThrow(/defaultApprovers must be 1 or 2/);
  });

  it('keeps telemetry and device requests retentionDays days, 90 by default', () => {
    expect(parseStageConfig({ retentionDays: '30' }).retentionDays).toBe(30);
    expect(() => parseStageConfig({ retentionDays: '0' })).toThrow(/retentionDays must be between 1 and 3650/);
  });

  it('accepts the strings that `cdk -c key=value` passes', () => {
    const config = parseStageConfig({ stage: 'test', edgeDesiredCount: '3', logRetentionDays: '30', retainData: 'false', allowNoSec: 'false', publicHost: 'lwm2m.example.net' });
    expect(config).toEqual({ stage: 'test', edgeDesiredCount: 3, logRetention: RetentionDays.ONE_MONTH, retainData: false, allowNoSec: false, publicHost: 'lwm2m.example.net', requireSignedImages: false, imageSigners: [], customerManagedKeys: false, retentionDays: 90, defaultApprovers: 1 });
  });

  it('accepts the JSON types of cdk.json', () => {
    expect(parseStageConfig({ edgeDesiredCount: 5, retainData: false, allowNoSec: true })).toMatchObject({ edgeDesiredCount: 5, retainData: false, allowNoSec: true });
  });

  it('refuses to drop the data of the prod stage', () => {
    expect(() => parseStageConfig({ stage: 'prod', publicHost: 'lwm2m.example.net', retainData: 'false' })).toThrow(StageConfigurationError);
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
