import { beforeAll, describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IConstruct } from 'constructs';
import { buildFotaApp, type FotaStacks } from '../../infra/FotaApp.ts';
import { SIGV4_REQUEST_HEADERS } from '../../infra/constructs/FotaApi.ts';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../../local/dashboardFiles.ts';
import { flatten, statementsOfRole } from './iamStatements.ts';

// Lambda bundling is not what these tests assert (workflow.test.ts bundles for real).
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

type Resource = { Properties: Record<string, unknown> };

/** CSP directives by name, for comparing policies directive by directive. */
function directives(policy: string): Map<string, string> {
  return new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name ?? '', values.join(' ')]));
}

describe('the dashboard of a deployed stack (Orchestration stack, dev stage)', () => {
  let stacks: FotaStacks;
  let template: Template;
  let assemblyDirectory: string;
  let ids: { bucket: string; logBucket: string; distribution: string; userPool: string; client: string; identityPool: string; readerRole: string; api: string };

  beforeAll(() => {
    stacks = buildFotaApp({ context: SKIP_BUNDLING });
    assemblyDirectory = stacks.app.synth().directory;
    template = Template.fromStack(stacks.orchestration);
    const { dashboard, api } = stacks.orchestration;
    ids = {
      bucket: logicalId(dashboard.bucket),
      logBucket: logicalId(dashboard.logBucket),
      distribution: logicalId(dashboard.distribution),
      userPool: logicalId(dashboard.userPool),
      client: logicalId(dashboard.userPoolClient),
      identityPool: logicalId(dashboard.identityPool),
      readerRole: logicalId(dashboard.readerRole),
      api: logicalId(api.api),
    };
  });

  describe('hosting', () => {
    it('keeps the files in a private, encrypted, TLS-only bucket that logs access to a separate bucket', () => {
      const bucket = template.findResources('AWS::S3::Bucket')[ids.bucket];
      expect(bucket?.['Properties']).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.logBucket } },
      });
      expect(bucket?.['DeletionPolicy']).toBe('Retain');
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.bucket },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    });

    it('lets only this CloudFront distribution read the bucket, through Origin Access Control', () => {
      template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' }) });
      const [origin] = (template.findResources('AWS::CloudFront::Distribution')[ids.distribution]?.['Properties']['DistributionConfig']['Origins'] ?? []) as Record<string, unknown>[];
      expect(origin?.['OriginAccessControlId']).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/OriginAccessControl/), 'Id'] });
      expect(origin?.['S3OriginConfig']).toEqual({ OriginAccessIdentity: '' });

      const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p['Properties']['Bucket']) === JSON.stringify({ Ref: ids.bucket }));
      const allows = (policy?.['Properties']['PolicyDocument']['Statement'] as Record<string, unknown>[]).filter((s) => s['Effect'] === 'Allow');
      expect(allows).toHaveLength(1);
      expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
      expect(flatten((allows[0]?.['Condition'] as { StringEquals: Record<string, unknown> }).StringEquals['AWS:SourceArn'])).toContain(`<${ids.distribution}>`);
    });

    it('redirects HTTP to HTTPS, serves dashboard/index.html at the root and logs requests', () => {
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultRootObject: 'dashboard/index.html',
          DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
          Logging: Match.objectLike({ Bucket: { 'Fn::GetAtt': [ids.logBucket, 'RegionalDomainName'] }, Prefix: 'cloudfront/' }),
        }),
      });
    });

    it("sends the local page's content security policy, widened in connect-src to the API and Cognito only, with HSTS, nosniff and no framing", () => {
      const [policy] = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
      const headers = policy?.['Properties']['ResponseHeadersPolicyConfig']['SecurityHeadersConfig'];
      const deployed = directives(flatten(headers['ContentSecurityPolicy']['ContentSecurityPolicy']));
      const local = directives(DASHBOARD_CONTENT_SECURITY_POLICY);
      expect([...deployed.keys()]).toEqual([...local.keys()]);
      for (const [name, value] of local) if (name !== 'connect-src') expect(deployed.get(name), name).toBe(value);
      expect(deployed.get('connect-src')?.split(' ')).toEqual([
        "'self'",
        'https://*.execute-api.<AWS::Region>.amazonaws.com',
        expect.stringMatching(/^https:\/\/fota-dev-orchestration-.*\.auth\.<AWS::Region>\.amazoncognito\.com$/),
        'https://cognito-identity.<AWS::Region>.amazonaws.com',
      ]);
      expect(headers).toMatchObject({
        StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: true, Override: true },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
      });
    });
  });

  describe('deployment of the files', () => {
    const deployment = (): Record<string, unknown> => {
      const [resource] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
      return (resource as Resource).Properties;
    };
    const assetDirectory = (zipKey: unknown): string => join(assemblyDirectory, `asset.${String(zipKey).replace(/\.zip$/, '')}`);

    it('copies dashboard/ under the dashboard/ prefix, the way the page references its files', () => {
      const [files] = deployment()['SourceObjectKeys'] as string[];
      expect(deployment()['DestinationBucketKeyPrefix']).toBe('dashboard/');
      expect(deployment()['DestinationBucketName']).toEqual({ Ref: ids.bucket });
      for (const file of ['index.html', 'app.js', 'api.js', 'session.js', 'auth.js', 'sigv4.js', 'style.css']) expect(existsSync(join(assetDirectory(files), file)), file).toBe(true);
    });

    it('adds a config.json naming this API, region, user pool, app client, identity pool and hosted UI', () => {
      const [, configKey] = deployment()['SourceObjectKeys'] as string[];
      const [, markers] = deployment()['SourceMarkers'] as Record<string, unknown>[];
      const raw = readFileSync(join(assetDirectory(configKey), 'config.json'), 'utf8');
      // Markers inside the JSON strings are replaced at deploy time by the values CloudFormation resolves.
      const config = JSON.parse(raw.replace(/<<marker:0xbaba:\d+>>/g, (marker) => JSON.stringify(flatten(markers?.[marker])).slice(1, -1))) as Record<string, string>;
      expect(config).toEqual({
        auth: 'cognito',
        apiUrl: `<${ids.api}.ApiEndpoint>`,
        region: '<AWS::Region>',
        userPoolId: `<${ids.userPool}>`,
        userPoolClientId: `<${ids.client}>`,
        identityPoolId: `<${ids.identityPool}>`,
        authDomain: expect.stringMatching(/^fota-dev-orchestration-.+\.auth\.<AWS::Region>\.amazoncognito\.com$/),
      });
    });
  });

  describe('sign-in', () => {
    it('lets only administrators create release managers, with a strong password and TOTP MFA required', () => {
      template.hasResourceProperties('AWS::Cognito::UserPool', {
        AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true }) },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      });
    });

    it('offers a public app client for the authorization code flow, returning only to the dashboard', () => {
      const dashboardUrl = `https://<${ids.distribution}.DomainName>/`;
      const client = template.findResources('AWS::Cognito::UserPoolClient')[ids.client]?.['Properties'];
      expect(client).toMatchObject({ GenerateSecret: false, AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true, SupportedIdentityProviders: ['COGNITO'] });
      expect((client['CallbackURLs'] as unknown[]).map(flatten)).toEqual([dashboardUrl]);
      expect((client['LogoutURLs'] as unknown[]).map(flatten)).toEqual([dashboardUrl]);
      template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { UserPoolId: { Ref: ids.userPool }, Domain: Match.anyValue() });
    });

    it('admits no unauthenticated identity and gives signed-in users the reader role only', () => {
      template.hasResourceProperties('AWS::Cognito::IdentityPool', {
        AllowUnauthenticatedIdentities: false,
        AllowClassicFlow: false,
        CognitoIdentityProviders: [Match.objectLike({ ClientId: { Ref: ids.client }, ServerSideTokenCheck: true })],
      });
      const attachment = Object.values(template.findResources('AWS::Cognito::IdentityPoolRoleAttachment'))[0]?.['Properties'];
      expect(attachment['IdentityPoolId']).toEqual({ Ref: ids.identityPool });
      expect(attachment['Roles']).toEqual({ authenticated: { 'Fn::GetAtt': [ids.readerRole, 'Arn'] } });
    });

    it('lets the reader role be assumed only by authenticated identities of this identity pool', () => {
      const role = template.findResources('AWS::IAM::Role')[ids.readerRole]?.['Properties'];
      expect(role['AssumeRolePolicyDocument']['Statement']).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRoleWithWebIdentity',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: ids.identityPool } }, 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' } },
        },
      ]);
      expect(role['ManagedPolicyArns']).toBeUndefined();
    });

    it('lets the reader role invoke GET routes of this API and nothing else', () => {
      expect(statementsOfRole(template, ids.readerRole)).toEqual([
        { effect: 'Allow', actions: ['execute-api:Invoke'], resources: [`arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${ids.api}>/*/GET/*`] },
      ]);
    });
  });

  describe('the API as the dashboard calls it', () => {
    it('allows CORS from the distribution only, for GET and the campaign actions (POST) with the SigV4 headers', () => {
      const api = template.findResources('AWS::ApiGatewayV2::Api')[ids.api]?.['Properties'];
      const cors = api['CorsConfiguration'];
      expect((cors['AllowOrigins'] as unknown[]).map(flatten)).toEqual([`https://<${ids.distribution}.DomainName>`]);
      expect(cors['AllowMethods']).toEqual(['GET', 'POST', 'OPTIONS']);
      expect(cors['AllowHeaders']).toEqual([...SIGV4_REQUEST_HEADERS]);
      expect(cors['AllowCredentials']).toBeUndefined();
    });

    it('routes only OPTIONS without authorization, for the preflight', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'OPTIONS /{proxy+}', AuthorizationType: 'NONE' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'AWS_IAM' });
    });
  });

  it('outputs the dashboard URL and the user pool id', () => {
    const outputs = template.findOutputs('*');
    expect(flatten(outputs['DashboardUrl']?.['Value'])).toBe(`https://<${ids.distribution}.DomainName>/`);
    expect(outputs['UserPoolId']?.['Value']).toEqual({ Ref: ids.userPool });
    expect(flatten(outputs['ApiUrl']?.['Value'])).toBe(`<${ids.api}.ApiEndpoint>`);
  });
});
