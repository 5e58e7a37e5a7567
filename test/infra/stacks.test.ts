import { beforeAll, describe, expect, it } from 'vitest';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { buildFotaApp, type FotaStacks } from '../../infra/FotaApp.ts';
import { FotaStorage } from '../../infra/constructs/FotaStorage.ts';
import { FOTA_METRICS_NAMESPACE, FotaMetric } from '../../infra/constructs/Observability.ts';
import { flatten, statementsOf, statementsOfRole, type Statement } from './iamStatements.ts';
import { WorkflowHandler } from '../../core/campaign/workflowStates.ts';

// Lambda bundling is not what these tests assert (workflow.test.ts bundles for real).
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** Names a table resource of a statement `Devices`, `Jobs/index/byOwner`...; imports carry the producer's logical id. */
function tableResourceName(resource: string, stacks: FotaStacks): string {
  const { storage } = stacks.storage;
  const tables = { Devices: storage.devices, Jobs: storage.jobs, Campaigns: storage.campaigns, Images: storage.images, Requests: storage.requests, Telemetry: storage.telemetry, Credentials: storage.credentials, DeviceClaims: storage.claims, Idempotency: storage.idempotency, Audit: storage.audit };
  const table = Object.entries(tables).find(([, t]) => resource.includes(logicalId(t)))?.[0] ?? resource;
  return table + (/\/index\/.+$/.exec(resource)?.[0] ?? '');
}

function dynamoDbResources(statements: readonly Statement[], stacks: FotaStacks): string[] {
  return statements
    .filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')))
    .flatMap((s) => s.resources)
    .map((r) => tableResourceName(r, stacks))
    .sort();
}

describe('the dev stage (default context)', () => {
  let stacks: FotaStacks;
  let storage: Template;
  let orchestration: Template;
  let edge: Template;
  let observability: Template;

  beforeAll(() => {
    // NoSec is off unless enabled: this stage enables it, so both device ports are asserted.
    stacks = buildFotaApp({ context: { ...SKIP_BUNDLING, allowNoSec: 'true' } });
    storage = Template.fromStack(stacks.storage);
    orchestration = Template.fromStack(stacks.orchestration);
    edge = Template.fromStack(stacks.edge);
    observability = Template.fromStack(stacks.observability);
  });

  describe('edge load balancer', () => {
    it('listens on UDP 5683 and 5684, each forwarding to a UDP target group on the same port', () => {
      edge.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
      for (const port of [5683, 5684]) {
        edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: port, Protocol: 'UDP' });
        edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: port, Protocol: 'UDP', TargetType: 'ip' });
      }
      edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internet-facing' });
    });

    it('health-checks the UDP target groups over HTTP GET /health on port 8080', () => {
      const groups = edge.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
      expect(Object.keys(groups)).toHaveLength(2);
      for (const group of Object.values(groups)) {
        expect(group['Properties']).toMatchObject({ HealthCheckProtocol: 'HTTP', HealthCheckPort: '8080', HealthCheckPath: '/health' });
      }
    });

    it('drains a deregistering task for 30 seconds before it is stopped', () => {
      edge.allResourcesProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
      });
    });
  });

  describe('edge service', () => {
    it('runs Fargate tasks on ARM64 Linux', () => {
      edge.hasResourceProperties('AWS::ECS::TaskDefinition', {
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      });
    });

    it('builds its image from coap-edge/Dockerfile for linux/arm64, with the repository root as context', () => {
      const assembly = stacks.app.synth();
      const manifest = assembly.getStackArtifact(stacks.edge.artifactId).dependencies.find((a): a is AssetManifestArtifact => a.manifest.type === 'cdk:asset-manifest');
      const images = Object.values(manifest?.contents.dockerImages ?? {});
      expect(images).toHaveLength(1);
      expect(images[0]?.source).toMatchObject({ dockerFile: 'coap-edge/Dockerfile', platform: 'linux/arm64' });
    });

    it('runs the desired count of 2, scaling on CPU up to 8 tasks', () => {
      edge.hasResourceProperties('AWS::ECS::Service', {
        DesiredCount: 2,
        LaunchType: 'FARGATE',
        DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100 }),
      });
      edge.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 8, ScalableDimension: 'ecs:service:DesiredCount' });
      edge.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }),
      });
    });

    it('gives the process 30 seconds after SIGTERM and logs through awslogs to a group with retention', () => {
      edge.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [Match.objectLike({ StopTimeout: 30, ReadonlyRootFilesystem: true, LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }) })],
      });
      edge.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    });

    it('tells the edge its ports, region, tables, bucket and the NLB DNS name as public host', () => {
      const [container] = Object.values(edge.findResources('AWS::ECS::TaskDefinition'))[0]?.['Properties']['ContainerDefinitions'] as [{ Environment: { Name: string; Value: unknown }[] }];
      const environment = Object.fromEntries(container.Environment.map(({ Name, Value }) => [Name, flatten(Value)]));
      expect(environment).toMatchObject({ FOTA_EDGE_PORT: '5683', FOTA_EDGE_HEALTH_PORT: '8080', FOTA_REGION: '<AWS::Region>' });
      expect(environment['FOTA_EDGE_PUBLIC_HOST']).toBe(`<${logicalId(stacks.edge.edge.loadBalancer)}.DNSName>`);
      for (const name of ['FOTA_DEVICES_TABLE', 'FOTA_JOBS_TABLE', 'FOTA_CAMPAIGNS_TABLE', 'FOTA_IMAGES_TABLE', 'FOTA_IMAGE_BUCKET']) {
        expect(environment[name], name).toMatch(/^Fota-dev-Storage:ExportsOutputRef/);
      }
    });

    it('admits UDP 5683 and 5684 from anywhere at the NLB, and the tasks admit only the NLB, on those ports and the health port', () => {
      const nlbGroup = logicalId(stacks.edge.edge.loadBalancerSecurityGroup);
      edge.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupIngress: [
          Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'udp', FromPort: 5683, ToPort: 5683 }),
          Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'udp', FromPort: 5684, ToPort: 5684 }),
        ],
      });
      const taskGroup = stacks.edge.edge.securityGroup;
      expect((edge.findResources('AWS::EC2::SecurityGroup')[logicalId(taskGroup)]?.['Properties'] as { SecurityGroupIngress?: unknown }).SecurityGroupIngress).toBeUndefined();
      const toTasks = Object.values(edge.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r['Properties'] as Record<string, unknown>).filter((p) => JSON.stringify(p['GroupId']).includes(logicalId(taskGroup)));
      expect(toTasks.map((p) => `${String(p['IpProtocol'])}/${String(p['FromPort'])}`).sort()).toEqual(['tcp/8080', 'udp/5683', 'udp/5684']);
      for (const rule of toTasks) expect(rule['SourceSecurityGroupId']).toEqual({ 'Fn::GetAtt': [nlbGroup, 'GroupId'] });
    });

    it('enables Container Insights and keeps tasks in private subnets', () => {
      edge.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
      edge.hasResourceProperties('AWS::ECS::Service', { NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) } });
      edge.resourceCountIs('AWS::EC2::NatGateway', 1);
      edge.resourceCountIs('AWS::EC2::FlowLog', 1);
    });
  });

  describe('storage', () => {
    it('denies every request to the image bucket that is not made over TLS', () => {
      storage.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(stacks.storage.storage.imageBucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('blocks public access, encrypts and versions the image bucket, logging access to a separate bucket', () => {
      storage.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stacks.storage.storage.accessLogBucket) }, LogFilePrefix: 'image-bucket/' },
      });
    });

    it('bills all ten tables on demand, with point-in-time recovery and deletion protection, retained on delete', () => {
      const tables = storage.findResources('AWS::DynamoDB::Table');
      expect(Object.keys(tables)).toHaveLength(10);
      for (const table of Object.values(tables)) {
        expect(table['Properties']).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        });
        expect(table['DeletionPolicy']).toBe('Retain');
      }
      storage.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    });

    it('declares the device claims table keyed by endpoint (beside the devices table) and the idempotency table keyed by id', () => {
      const keyedBy = (name: string): number =>
        Object.values(storage.findResources('AWS::DynamoDB::Table')).filter((table) => JSON.stringify((table['Properties'] as { KeySchema: unknown }).KeySchema) === JSON.stringify([{ AttributeName: name, KeyType: 'HASH' }])).length;
      expect({ endpoint: keyedBy('endpoint'), id: keyedBy('id') }).toEqual({ endpoint: 2, id: 1 });
    });

    it('keys the jobs\' owner index by task alone, holding the keys and what the workflow changes, and the token and endpoint indexes keys only', () => {
      storage.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'campaignId', KeyType: 'HASH' }, { AttributeName: 'jobKey', KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: Match.arrayWith([
          Match.objectLike({ IndexName: 'byEndpoint', Projection: { ProjectionType: 'KEYS_ONLY' } }),
          { IndexName: 'byOwner', KeySchema: [{ AttributeName: 'ownerTask', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['attempt', 'installRequested', 'cancelRequested'] } },
          Match.objectLike({ IndexName: 'byToken', Projection: { ProjectionType: 'KEYS_ONLY' } }),
        ]),
      });
    });

    it('keeps the devices\' registration id index keys only, so a device\'s own writes cost it nothing', () => {
      storage.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'endpoint', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [{ IndexName: 'byRegistrationId', KeySchema: [{ AttributeName: 'registrationId', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
      });
    });
  });

  describe('least privilege', () => {
    it('lets the edge task role use the devices, jobs, requests and telemetry tables, read images, credentials and campaigns, and nothing else in DynamoDB', () => {
      const statements = statementsOfRole(edge, logicalId(stacks.edge.edge.taskRole));
      expect(dynamoDbResources(statements, stacks)).toEqual(
        ['Campaigns', 'Credentials', 'Devices', 'Devices/index/byRegistrationId', 'Images', 'Jobs', 'Jobs/index/byEndpoint', 'Jobs/index/byOwner', 'Jobs/index/byToken', 'Requests', 'Requests/index/byEndpoint', 'Requests/index/byOwner', 'Telemetry'].sort(),
      );
      const readOnly = statements.filter((s) => s.resources.some((r) => ['Images', 'Credentials', 'Campaigns'].includes(tableResourceName(r, stacks))));
      expect(readOnly.length).toBeGreaterThan(0);
      for (const statement of readOnly) expect(statement.actions.some((a) => /Put|Update|Delete|Write/.test(a))).toBe(false);
    });

    it('lets the edge task role end the campaign workflow\'s task waits on that state machine only', () => {
      const statements = statementsOfRole(edge, logicalId(stacks.edge.edge.taskRole)).filter((s) => s.actions.some((a) => a.startsWith('states:')));
      expect(statements.flatMap((s) => s.actions).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess']);
      const resources = statements.flatMap((s) => s.resources);
      expect(resources).toHaveLength(1);
      expect(resources[0]).toContain(logicalId(stacks.orchestration.workflow.stateMachine));
    });

    it('lets the edge read firmware objects (at a version) under images/ only, through the storage stack policy', () => {
      const { imageReadPolicy, imageBucket } = stacks.storage.storage;
      const [role] = Object.values(edge.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Condition: Match.anyValue() })] }) } }));
      expect((role?.['Properties']['ManagedPolicyArns'] as unknown[]).map(flatten)).toEqual([expect.stringContaining(logicalId(imageReadPolicy))]);
      const policy = storage.findResources('AWS::IAM::ManagedPolicy')[logicalId(imageReadPolicy)];
      expect(statementsOf(policy?.['Properties']['PolicyDocument'])).toEqual([{ effect: 'Allow', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`<${logicalId(imageBucket)}.Arn>/images/*`] }]);
    });

    it('never grants a DynamoDB or S3 action on a wildcard resource, in any stack, but to the deploy-time copy of the dashboard files', () => {
      // CDK's BucketDeployment grants its function object wildcards on the bootstrap asset bucket
      // and on the dashboard bucket (acknowledged in infra/nagSuppressions.ts); asserted below.
      const deploymentRole = { Ref: logicalId(stacks.orchestration.dashboard.deploymentRole) };
      const isDeploymentPolicy = (policy: { Properties: Record<string, unknown> }): boolean => JSON.stringify(policy.Properties['Roles']) === JSON.stringify([deploymentRole]);
      for (const template of [storage, orchestration, edge, observability]) {
        for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
          for (const policy of Object.values(template.findResources(type))) {
            if (isDeploymentPolicy(policy as { Properties: Record<string, unknown> })) continue;
            for (const statement of statementsOf(policy['Properties']['PolicyDocument'])) {
              if (!statement.actions.some((a) => a.startsWith('dynamodb:') || a.startsWith('s3:'))) continue;
              for (const resource of statement.resources) {
                // The two object prefixes of the image bucket, images/ (served) and uploads/ (presigned PUTs), are the only wildcards.
                expect(resource === '*' || (resource.includes('*') && !resource.endsWith('/images/*') && !resource.endsWith('/uploads/*')), `${statement.actions.join(',')} on ${resource}`).toBe(false);
              }
            }
          }
        }
      }
    });

    it('gives each workflow function its own role: its log group, and the bus when it transitions jobs or a campaign (table grants per function: hardening.test.ts)', () => {
      for (const fn of stacks.orchestration.functions.functions) {
        const statements = statementsOfRole(orchestration, logicalId(fn.role as unknown as IConstruct));
        const putEvents = { effect: 'Allow', actions: ['events:PutEvents'], resources: [`<${logicalId(stacks.orchestration.events.bus)}.Arn>`] };
        if (['planCampaign', 'startPhase', 'evaluatePhase', 'checkApproval', 'cancelCampaign', 'finalizeCampaign'].includes(fn.node.id)) expect(statements, fn.node.id).toContainEqual(putEvents);
        else expect(statements, fn.node.id).not.toContainEqual(putEvents);
        expect(statements).toContainEqual({ effect: 'Allow', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [expect.stringMatching(/^<WorkflowFunctions\w+Logs\w+\.Arn>$/)] });
      }
      // Managed policies only on the API role (the storage stack's images/* read-write policy) and
      // on the dashboard's group roles (their access role's API policy).
      const withManaged = Object.keys(orchestration.findResources('AWS::IAM::Role', { Properties: { ManagedPolicyArns: Match.anyValue() } }));
      const groupRoles = Object.values(stacks.orchestration.accessRoles.dashboardRoles).map((role) => logicalId(role));
      expect(withManaged.sort()).toEqual([logicalId(stacks.orchestration.api.role), ...groupRoles].sort());
    });

    it('serves the REST API through an HTTP API with IAM authorization on every route, access-logged', () => {
      orchestration.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      // Every request is IAM-authorized but the browsers' CORS preflight, which carries no credentials.
      const routes = Object.values(orchestration.findResources('AWS::ApiGatewayV2::Route')).map((route) => [route['Properties']['RouteKey'], route['Properties']['AuthorizationType']]);
      expect(routes.sort()).toEqual([
        ['$default', 'AWS_IAM'],
        ['OPTIONS /{proxy+}', 'NONE'],
      ]);
      orchestration.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true, AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }) });
      const statements = statementsOfRole(orchestration, logicalId(stacks.orchestration.api.role));
      expect(statements).toContainEqual({ effect: 'Allow', actions: ['states:StartExecution'], resources: [`<${logicalId(stacks.orchestration.workflow.stateMachine)}>`] });
      expect(statements.find((s) => s.actions.includes('kms:GenerateDataKey'))?.actions).toEqual(['kms:GenerateDataKey']);
    });

    it('lets the state machine invoke the five workflow functions and no other', () => {
      const { stateMachine } = stacks.orchestration.workflow;
      const statements = statementsOfRole(orchestration, logicalId(stateMachine.role as unknown as IConstruct));
      const invoke = statements.filter((s) => s.actions.some((a) => a.startsWith('lambda:')));
      expect(invoke.flatMap((s) => s.actions).every((a) => a === 'lambda:InvokeFunction')).toBe(true);
      const functionIds = stacks.orchestration.functions.functions.map((fn) => logicalId(fn));
      const allowed = functionIds.flatMap((id) => [`<${id}.Arn>`, `<${id}.Arn>:*`]);
      expect(invoke.flatMap((s) => s.resources).sort()).toEqual(allowed.sort());
    });
  });

  describe('events and observability', () => {
    it('archives every event of the campaign bus and tells the functions its name', () => {
      orchestration.resourceCountIs('AWS::Events::EventBus', 1);
      orchestration.hasResourceProperties('AWS::Events::Archive', { SourceArn: { 'Fn::GetAtt': [logicalId(stacks.orchestration.events.bus), 'Arn'] }, RetentionDays: 90 });
      const functions = orchestration.findResources('AWS::Lambda::Function');
      for (const fn of [...stacks.orchestration.functions.functions, stacks.orchestration.api.handler]) {
        expect(functions[logicalId(fn)]?.['Properties']['Environment']['Variables']['FOTA_EVENT_BUS_NAME'], fn.node.id).toEqual({ Ref: logicalId(stacks.orchestration.events.bus) });
      }
    });

    it('alarms on no healthy edge, an aborted campaign, Lambda errors and failed executions', () => {
      const tables = stacks.storage.storage.tables.length;
      // One no-healthy-host alarm: on the CoAPS target group, which every stage has.
      observability.resourceCountIs('AWS::CloudWatch::Alarm', 1 + 1 + 1 + 1 + Object.keys(WorkflowHandler).length + 3 + 2 + tables);
      observability.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/NetworkELB', MetricName: 'HealthyHostCount', Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
      observability.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: FOTA_METRICS_NAMESPACE, MetricName: FotaMetric.CampaignsAborted, Statistic: 'Sum' });
      observability.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Errors' });
      observability.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' });
    });

    it('notifies a KMS-encrypted, TLS-only topic from every alarm', () => {
      const topicId = logicalId(stacks.observability.observability.alarmTopic);
      observability.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] });
      observability.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      observability.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      observability.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    });

    it('graphs the Fota custom metrics with the AWS/States, AWS/Lambda and AWS/NetworkELB ones', () => {
      const [dashboard] = Object.values(observability.findResources('AWS::CloudWatch::Dashboard'));
      const body = flatten(dashboard?.['Properties']['DashboardBody']);
      for (const metric of Object.values(FotaMetric)) expect(body).toContain(`"${FOTA_METRICS_NAMESPACE}","${metric}"`);
      for (const namespace of ['AWS/States', 'AWS/Lambda', 'AWS/NetworkELB', 'AWS/ECS']) expect(body).toContain(`"${namespace}"`);
    });
  });
});

describe('the prod stage (-c stage=prod -c allowNoSec=false -c edgeDesiredCount=4 -c publicHost=...)', () => {
  let stacks: FotaStacks;
  let edge: Template;

  beforeAll(() => {
    stacks = buildFotaApp({
      context: { ...SKIP_BUNDLING, stage: 'prod', allowNoSec: 'false', edgeDesiredCount: '4', publicHost: 'lwm2m.example.net' },
    });
    edge = Template.fromStack(stacks.edge);
  });

  it('names the stacks after the stage', () => {
    expect([stacks.storage, stacks.orchestration, stacks.edge, stacks.observability].map((s) => s.stackName)).toEqual([
      'Fota-prod-Storage',
      'Fota-prod-Orchestration',
      'Fota-prod-Edge',
      'Fota-prod-Observability',
    ]);
  });

  it('retains the data with deletion protection, and protects the storage stack from termination', () => {
    const storage = Template.fromStack(stacks.storage);
    storage.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ DeletionProtectionEnabled: true }) });
    expect(stacks.storage.terminationProtection).toBe(true);
  });

  it('keeps every log group for a year', () => {
    for (const stack of [stacks.orchestration, stacks.edge]) Template.fromStack(stack).allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('offers CoAPS on 5684 only when NoSec is not allowed', () => {
    edge.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 5684, Protocol: 'UDP' });
    const ingress = Object.values(edge.findResources('AWS::EC2::SecurityGroup')).flatMap((sg) => (sg['Properties']['SecurityGroupIngress'] ?? []) as { FromPort: number }[]);
    expect(ingress.map((rule) => rule.FromPort)).toEqual([5684]);
    const fromGroups = Object.values(edge.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => (r['Properties'] as { FromPort: number }).FromPort);
    // The tasks: CoAPS and health from the NLB; the interface endpoints: HTTPS from the tasks.
    expect(fromGroups.sort()).toEqual([443, 5684, 8080]);
  });

  it('runs the requested task count, gives devices the configured host, and spreads NAT over both AZs', () => {
    edge.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 4 });
    edge.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 4, MaxCapacity: 16 });
    edge.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'FOTA_EDGE_PUBLIC_HOST', Value: 'lwm2m.example.net' }]) })],
    });
    edge.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('protects the load balancer whose DNS name devices may be provisioned with', () => {
    edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
  });
});

describe('storage that is not retained (-c retainData=false on a non-prod stage)', () => {
  let storage: Template;

  beforeAll(() => {
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    const stack = new Stack(app, 'Storage');
    new FotaStorage(stack, 'Storage', { retain: false });
    storage = Template.fromStack(stack);
  });

  it('deletes tables and buckets with the stack and leaves deletion protection off', () => {
    storage.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    storage.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });
});
