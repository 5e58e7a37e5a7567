/**
 * CDK assertions of issue 18 items 4-9 on the prod stage: the container and runtime, access logs,
 * the network, least privilege per function, and data protection (keys, backup, TTL, domain,
 * allowNoSec switchable).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildFotaApp, type FotaStacks } from '../../infra/FotaApp.ts';
import { statementsOfRole, type Statement } from './iamStatements.ts';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const PROD = { ...SKIP_BUNDLING, stage: 'prod', publicHost: 'lwm2m.example.net' };
const DOCKERFILE = readFileSync(new URL('../../coap-edge/Dockerfile', import.meta.url), 'utf8');
const CI_SCRIPT = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

/** The tables a set of statements reaches with `action`, by construct id (`Jobs`, `DeviceClaims`...), indexes folded in. */
function tablesWith(statements: readonly Statement[], action: string, stacks: FotaStacks): string[] {
  const { storage } = stacks.storage;
  const byId = new Map(storage.tables.map((table) => [logicalId(table), table.node.id]));
  const names = statements
    .filter((s) => s.actions.includes(action))
    .flatMap((s) => s.resources)
    .flatMap((r) => [...byId].filter(([id]) => r.includes(id)).map(([, name]) => name));
  return [...new Set(names)].sort();
}

describe('the prod stage in a regulated account (issue 18, items 4-9)', () => {
  let stacks: FotaStacks;
  let storage: Template;
  let orchestration: Template;
  let edge: Template;

  beforeAll(() => {
    stacks = buildFotaApp({ context: PROD });
    storage = Template.fromStack(stacks.storage);
    orchestration = Template.fromStack(stacks.orchestration);
    edge = Template.fromStack(stacks.edge);
  });

  describe('container and runtime (item 4)', () => {
    const stages = DOCKERFILE.split(/^FROM /m).slice(1);

    it('pins every base image by digest, beside the exact tag', () => {
      const froms = [...DOCKERFILE.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
      expect(froms).toHaveLength(2);
      for (const image of froms) expect(image).toMatch(/^[a-z]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
      expect(froms[0]).toMatch(/^node:24\.\d+\.\d+-bookworm-slim@/);
    });

    it('runs on the node binary alone: no npm, npx or corepack in the runtime stage, and not as root', () => {
      const runtime = stages.at(-1) ?? '';
      expect(runtime).not.toMatch(/^node:/);
      expect(runtime).toContain('COPY --from=build /usr/local/bin/node /usr/local/bin/node');
      expect(runtime).not.toMatch(/\b(npm|npx|corepack|yarn)\b/);
      expect(runtime).toMatch(/^USER [1-9]\d*:[1-9]\d*$/m);
    });

    it('bundles for, and runs the Lambdas on, the same Node major as the image (24)', () => {
      expect(DOCKERFILE).toContain('"--target=node24"');
      const functions = Object.values(orchestration.findResources('AWS::Lambda::Function')).filter((fn) => String(fn['Properties']['Runtime']).startsWith('nodejs'));
      expect(functions.length).toBe(stacks.orchestration.functions.functions.length + 1);
      for (const fn of functions) expect(fn['Properties']['Runtime']).toBe('nodejs24.x');
    });

    it('copies into the build stage, and lets through .dockerignore, every folder the edge bundle is built from', async () => {
      // The bundle's own inputs, as esbuild resolves them from coap-edge/main.ts.
      const result = await build({ entryPoints: ['coap-edge/main.ts'], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent', outfile: 'edge.mjs' });
      const folders = [...new Set(Object.keys(result.metafile.inputs).filter((input) => !input.includes('node_modules')).map((input) => input.split('/')[0] ?? ''))].sort();
      const ignore = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8');
      expect(folders).toEqual(['coap-edge', 'core', 'dtls', 'store']);
      for (const folder of folders) {
        expect(DOCKERFILE).toContain(`COPY ${folder} ./${folder}`);
        expect(ignore).toContain(`!${folder}/**`);
      }
    });

    it('scans every image pushed to the CDK container asset repositories', () => {
      edge.hasResourceProperties('AWS::ECR::RegistryScanningConfiguration', {
        ScanType: 'BASIC',
        Rules: [{ ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [{ Filter: 'cdk-*-container-assets-*', FilterType: 'WILDCARD' }] }],
      });
    });

    it('has CI run core and store unit tests on Node 24 from the npm registry', () => {
      expect(CI_SCRIPT).toMatch(/node@24\b/);
      expect(CI_SCRIPT).toMatch(/test\/core/);
    });
  });

  describe('access logs (item 5)', () => {
    it('writes one JSON line per request in HTTP API variables: route key, caller ARN, Cognito identity, status, latency, request id', () => {
      const [stage] = Object.values(orchestration.findResources('AWS::ApiGatewayV2::Stage'));
      const format = JSON.parse(stage?.['Properties']['AccessLogSettings']['Format'] as string) as Record<string, string>;
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
        callerArn: '$context.identity.userArn',
        cognitoIdentityId: '$context.identity.cognitoIdentityId',
      });
      expect(JSON.stringify(format)).not.toContain('$context.resourcePath');
    });
  });

  describe('network (item 7)', () => {
    it('puts the NLB behind its own security group, the only source the tasks admit', () => {
      const nlbGroup = logicalId(stacks.edge.edge.loadBalancerSecurityGroup);
      edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { SecurityGroups: [{ 'Fn::GetAtt': [nlbGroup, 'GroupId'] }] });
      const taskGroup = logicalId(stacks.edge.edge.securityGroup);
      const toTasks = Object.values(edge.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r['Properties'] as Record<string, unknown>).filter((p) => JSON.stringify(p['GroupId']).includes(taskGroup));
      expect(toTasks.length).toBeGreaterThan(0);
      for (const rule of toTasks) expect(rule['SourceSecurityGroupId']).toEqual({ 'Fn::GetAtt': [nlbGroup, 'GroupId'] });
    });

    it('lets the tasks out on HTTPS only', () => {
      const group = edge.findResources('AWS::EC2::SecurityGroup')[logicalId(stacks.edge.edge.securityGroup)];
      const egress = group?.['Properties']['SecurityGroupEgress'] as { IpProtocol: string; FromPort: number; ToPort: number }[];
      expect(egress.map((e) => `${e.IpProtocol}/${e.FromPort}-${e.ToPort}`)).toEqual(['tcp/443-443']);
      const separate = Object.values(edge.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r['Properties'] as { GroupId: unknown; FromPort: number });
      for (const rule of separate.filter((r) => JSON.stringify(r.GroupId).includes(logicalId(stacks.edge.edge.securityGroup)))) expect(rule.FromPort).toBe(443);
    });

    it('reaches KMS, Logs, ECR (API and registry), STS and EventBridge through private interface endpoints, S3 and DynamoDB through gateways', () => {
      const services = Object.values(edge.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e['Properties']['ServiceName']));
      for (const service of ['.kms', '.logs', '.ecr.api', '.ecr.dkr', '.sts', '.events', '.s3', '.dynamodb']) expect(services.some((s) => s.includes(service)), service).toBe(true);
      edge.allResourcesProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: Match.anyValue() });
      for (const endpoint of Object.values(edge.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))) expect(endpoint['Properties']['PrivateDnsEnabled']).toBe(true);
    });

    it('lets the task role use DynamoDB only through the gateway endpoint and decrypt device keys only through the KMS endpoint', () => {
      const network = stacks.edge.edge.network;
      expect(network).toBeDefined();
      const policies = Object.values(edge.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p['Properties']['Roles']).includes(logicalId(stacks.edge.edge.taskRole)));
      const statements = policies.flatMap((p) => p['Properties']['PolicyDocument']['Statement'] as { Action: string | string[]; Condition?: unknown }[]);
      const dynamo = statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo.length).toBeGreaterThan(0);
      for (const s of dynamo) expect(s.Condition).toEqual({ StringEquals: { 'aws:SourceVpce': { Ref: logicalId(network?.dynamoDbEndpoint as IConstruct) } } });
      const decrypt = statements.filter((s) => ([] as string[]).concat(s.Action).includes('kms:Decrypt') && JSON.stringify(s).includes(logicalId(stacks.storage.storage.credentialKey)));
      expect(decrypt).toHaveLength(1);
      expect(decrypt[0]?.Condition).toEqual({ StringEquals: { 'aws:SourceVpce': { Ref: logicalId(network?.kmsEndpoint as IConstruct) } } });
    });

    it('records flow logs of all traffic, and gives nothing in the public subnets a public IP of its own', () => {
      edge.allResourcesProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
      for (const subnet of Object.values(edge.findResources('AWS::EC2::Subnet'))) expect(subnet['Properties']['MapPublicIpOnLaunch']).toBe(false);
    });

    it('refuses to synthesize the prod stage without publicHost', () => {
      expect(() => buildFotaApp({ context: { ...SKIP_BUNDLING, stage: 'prod' } })).toThrow(/publicHost is required for stage prod/);
    });
  });

  describe('least privilege per function (item 8)', () => {
    // What each function's code does with the tables (functions/workflow/*.ts), written out here
    // independently of infra/constructs/WorkflowFunctions.ts. A function that changes a campaign's
    // status notifies it (store/campaignNotifications.ts): the bus, and the jobs read for its figures.
    const expected: Record<string, { read: string[]; write: string[]; remove: string[]; events: boolean }> = {
      planCampaign: { read: ['Campaigns', 'DeviceClaims', 'Devices', 'Images', 'Jobs'], write: ['Campaigns', 'DeviceClaims', 'Jobs'], remove: [], events: true },
      startPhase: { read: ['Campaigns', 'Devices', 'Jobs'], write: ['Campaigns', 'Jobs'], remove: [], events: true },
      evaluatePhase: { read: ['Campaigns', 'Devices', 'Jobs'], write: ['Campaigns', 'Jobs'], remove: [], events: true },
      checkApproval: { read: ['Campaigns', 'Jobs'], write: ['Campaigns'], remove: [], events: true },
      awaitPhase: { read: ['Campaigns'], write: ['Campaigns'], remove: [], events: false },
      joinLateDevices: { read: ['Campaigns', 'DeviceClaims', 'Devices', 'Images', 'Jobs'], write: ['DeviceClaims', 'Jobs'], remove: [], events: false },
      cancelCampaign: { read: ['Campaigns', 'Jobs'], write: ['Jobs'], remove: [], events: true },
      continueAsNew: { read: [], write: [], remove: [], events: false },
      finalizeCampaign: { read: ['Campaigns', 'DeviceClaims', 'Images', 'Jobs'], write: ['Campaigns', 'Images', 'Jobs'], remove: ['DeviceClaims'], events: true },
    };

    it.each(Object.keys(expected))('grants %s only the table actions its code performs', (name) => {
      const fn = stacks.orchestration.functions.functions.find((f) => f.node.id === name);
      const statements = statementsOfRole(orchestration, logicalId(fn?.role as unknown as IConstruct));
      const want = expected[name];
      expect(tablesWith(statements, 'dynamodb:GetItem', stacks)).toEqual(want?.read);
      expect(tablesWith(statements, 'dynamodb:UpdateItem', stacks)).toEqual(want?.write);
      expect(tablesWith(statements, 'dynamodb:DeleteItem', stacks)).toEqual(want?.remove);
      expect(statements.some((s) => s.actions.includes('events:PutEvents'))).toBe(want?.events);
    });

    it('lets only ContinueAsNew start executions', () => {
      for (const fn of stacks.orchestration.functions.functions) {
        const starts = statementsOfRole(orchestration, logicalId(fn.role as unknown as IConstruct)).some((s) => s.actions.includes('states:StartExecution'));
        expect(starts, fn.node.id).toBe(fn.node.id === 'continueAsNew');
      }
    });

    it('lets the API put and read audit records and delete none', () => {
      const statements = statementsOfRole(orchestration, logicalId(stacks.orchestration.api.role));
      expect(tablesWith(statements, 'dynamodb:PutItem', stacks)).toContain('Audit');
      expect(tablesWith(statements, 'dynamodb:Query', stacks)).toContain('Audit');
      orchestration.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FOTA_AUDIT_TABLE: Match.anyValue() }) } });
    });

    it('grants DeleteItem to the API on campaigns, images, credentials and idempotency records only, and to the edge on devices only', () => {
      expect(tablesWith(statementsOfRole(orchestration, logicalId(stacks.orchestration.api.role)), 'dynamodb:DeleteItem', stacks)).toEqual(['Campaigns', 'Credentials', 'Idempotency', 'Images']);
      expect(tablesWith(statementsOfRole(edge, logicalId(stacks.edge.edge.taskRole)), 'dynamodb:DeleteItem', stacks)).toEqual(['Devices']);
    });

    it('lets the edge put its job events on the campaign bus, named in its environment', () => {
      const statements = statementsOfRole(edge, logicalId(stacks.edge.edge.taskRole));
      const put = statements.find((s) => s.actions.includes('events:PutEvents'));
      expect(put?.resources).toHaveLength(1);
      expect(put?.resources[0]).toContain(logicalId(stacks.orchestration.events.bus));
      edge.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'FOTA_EVENT_BUS_NAME', Value: Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp(logicalId(stacks.orchestration.events.bus)) }) }]) })],
      });
    });
  });

  describe('data (item 9)', () => {
    const dataKeyRef = (): unknown => ({ 'Fn::GetAtt': [logicalId(stacks.storage.storage.dataKey as IConstruct), 'Arn'] });

    it('encrypts every table and the image bucket with the stage key, rotated yearly', () => {
      storage.hasResourceProperties('AWS::KMS::Key', { Description: Match.stringLikeRegexp('FOTA data at rest'), EnableKeyRotation: true });
      storage.allResourcesProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: dataKeyRef() } });
      storage.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: dataKeyRef() } })] },
        VersioningConfiguration: { Status: 'Enabled' },
      });
    });

    it('encrypts every log group of the app with the stage key, which lets CloudWatch Logs use it for this account only', () => {
      for (const template of [orchestration, edge]) {
        const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
        expect(groups.length).toBeGreaterThan(0);
        for (const group of groups) expect(JSON.stringify(group['Properties']['KmsKeyId'])).toContain(logicalId(stacks.storage.storage.dataKey as IConstruct));
      }
      storage.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups', Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } } })]) },
      });
    });

    it('backs up every table and the image bucket daily and monthly into a vault encrypted with the stage key', () => {
      storage.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: dataKeyRef() });
      storage.hasResourceProperties('AWS::Backup::BackupPlan', { BackupPlan: { BackupPlanRule: Match.arrayWith([Match.objectLike({ ScheduleExpression: 'cron(0 5 * * ? *)' })]) } });
      const [selection] = Object.values(storage.findResources('AWS::Backup::BackupSelection'));
      const resources = JSON.stringify(selection?.['Properties']['BackupSelection']['Resources']);
      for (const table of stacks.storage.storage.tables) expect(resources, table.node.id).toContain(logicalId(table));
      expect(resources).toContain(logicalId(stacks.storage.storage.imageBucket));
      const role = storage.findResources('AWS::IAM::Role')[logicalId(stacks.storage.storage.backupRole)];
      expect(JSON.stringify(role?.['Properties']['ManagedPolicyArns'])).toContain('AWSBackupServiceRolePolicyForS3Backup');
    });

    it('expires telemetry values and device requests by TTL, and tells the writers the retention', () => {
      const ttl = Object.values(storage.findResources('AWS::DynamoDB::Table', { Properties: { TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } } }));
      expect(ttl).toHaveLength(2);
      edge.hasResourceProperties('AWS::ECS::TaskDefinition', { ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'FOTA_RETENTION_DAYS', Value: '90' }]) })] });
      orchestration.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FOTA_RETENTION_DAYS: '90' }) } });
      // The four-eyes default reaches the API (context defaultApprovers, 1 unless the stage says 2).
      orchestration.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FOTA_DEFAULT_APPROVERS: '1' }) } });
    });

    it('keeps AWS-owned keys when the stage turns customer-managed keys off (the dev default)', () => {
      const dev = buildFotaApp({ context: SKIP_BUNDLING });
      expect(dev.storage.storage.dataKey).toBeUndefined();
      const devStorage = Template.fromStack(dev.storage);
      devStorage.allResourcesProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true } });
      devStorage.resourceCountIs('AWS::Backup::BackupPlan', 1);
      for (const group of Object.values(Template.fromStack(dev.edge).findResources('AWS::Logs::LogGroup'))) expect(group['Properties']['KmsKeyId']).toBeUndefined();
    });

    it('serves the dashboard on the stage domain with TLS 1.2 or later when it names one, and allows that origin in CORS', () => {
      const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0d6f7d4e-1111-2222-3333-444455556666';
      const withDomain = buildFotaApp({ context: { ...PROD, dashboardDomain: 'fota.example.net', dashboardCertificateArn: certificateArn } });
      const template = Template.fromStack(withDomain.orchestration);
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({ Aliases: ['fota.example.net'], ViewerCertificate: { AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' } }),
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://fota.example.net'] }) });
    });

    it('lets allowNoSec be switched either way in one deploy: no other stack imports what only one setting creates', () => {
      const importsOfEdge = (allowNoSec: string): string[] => {
        const app = buildFotaApp({ context: { ...SKIP_BUNDLING, allowNoSec } });
        const others = [app.storage, app.orchestration, app.observability].map((stack) => JSON.stringify(Template.fromStack(stack).toJSON()));
        return [...new Set(others.flatMap((body) => [...body.matchAll(/"Fn::ImportValue":"(Fota-dev-Edge:[^"]+)"/g)].map((m) => m[1] as string)))].sort();
      };
      const on = importsOfEdge('true');
      expect(on.length).toBeGreaterThan(0);
      expect(importsOfEdge('false')).toEqual(on);
    });
  });
});
