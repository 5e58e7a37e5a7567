/** CDK assertions of immutable, signed firmware images: bucket versioning, upload prefix, signer keys plumbed to the API. */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildFotaApp, type FotaStacks } from '../../infra/FotaApp.ts';
import { statementsOf } from './iamStatements.ts';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const signerPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

describe('firmware images in CDK (-c requireSignedImages=true -c imageSigners=[release])', () => {
  let stacks: FotaStacks;
  let storage: Template;
  let orchestration: Template;

  beforeAll(() => {
    stacks = buildFotaApp({ context: { ...SKIP_BUNDLING, requireSignedImages: 'true', imageSigners: JSON.stringify([{ name: 'release', publicKeyPem: signerPem }]) } });
    storage = Template.fromStack(stacks.storage);
    orchestration = Template.fromStack(stacks.orchestration);
  });

  it('versions the image bucket and expires what upload URLs write under uploads/', () => {
    storage.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 2, Status: 'Enabled' })]) },
    });
  });

  it('lets the API write uploads/ and copy to images/, reading at a version, and nothing else in the bucket', () => {
    const { imageManagePolicy, imageBucket } = stacks.storage.storage;
    const policy = storage.findResources('AWS::IAM::ManagedPolicy')[logicalId(imageManagePolicy)];
    expect(statementsOf(policy?.['Properties']['PolicyDocument'])).toEqual([
      {
        effect: 'Allow',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [`<${logicalId(imageBucket)}.Arn>/images/*`, `<${logicalId(imageBucket)}.Arn>/uploads/*`],
      },
    ]);
  });

  it('hands the API function the signer public keys and requireSignedImages from the stage configuration', () => {
    const handler = logicalId(stacks.orchestration.api.handler);
    const fn = orchestration.findResources('AWS::Lambda::Function')[handler];
    const environment = (fn?.['Properties']['Environment'] as { Variables: Record<string, string> }).Variables;
    expect(environment['FOTA_REQUIRE_SIGNED_IMAGES']).toBe('true');
    expect(JSON.parse(environment['FOTA_IMAGE_SIGNERS'] ?? '[]')).toEqual([{ name: 'release', publicKeyPem: signerPem }]);
  });
});
