/**
 * The CoAP edge in AWS (ARCHITECTURE.md, "Reaching devices"): Fargate tasks on arm64 behind an
 * internet-facing Network Load Balancer with UDP listeners. The NLB's security group admits
 * devices from anywhere; the tasks' group admits only the NLB's (UDP target groups preserve the
 * device's address, and a rule naming the NLB's group still matches it). The NLB health checks the
 * tasks over HTTP on the health port, because a UDP target group cannot be health-checked over UDP.
 * Egress is HTTPS only: every AWS API the tasks use is behind a VPC endpoint (infra/constructs/edgeNetwork.ts).
 */
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { FotaStorage } from './FotaStorage.ts';
import { createEdgeNetwork, type EdgeNetwork } from './edgeNetwork.ts';
import { EVENT_BUS_ENV } from './WorkflowFunctions.ts';

/** The ports of the edge: CoAP over UDP (NoSec), CoAP over DTLS, and the HTTP health endpoint. */
export const EdgePort = { Coap: 5683, Coaps: 5684, Health: 8080 } as const;

export type EdgeLogLevel = 'debug' | 'info' | 'warn' | 'error';

const CONTAINER_NAME = 'edge';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface EdgeServiceProps {
  readonly storage: FotaStorage;
  /** IAM path of the task role: the one FotaStorage's credentialKeyUsers lets decrypt. @default '/fota/edge/' */
  readonly taskRolePath?: string;
  /** The campaign workflow, whose phase waits the edge ends (SendTaskSuccess). @default none: the workflow polls */
  readonly campaignWorkflow?: sfn.IStateMachine;
  /**
   * The VPC to run in. It needs public subnets (for the NLB) and private subnets with egress (for
   * the tasks), and VPC endpoints for S3, DynamoDB, KMS, Logs, ECR, STS and EventBridge: the
   * tasks' egress is HTTPS only. A VPC created here has them all, and flow logs of all traffic.
   * @default a new VPC over two Availability Zones
   */
  readonly vpc?: ec2.IVpc;
  /** NAT gateways of the VPC created here; ignored with `vpc`. @default 1 */
  readonly natGateways?: number;
  /** @default 2 */
  readonly desiredCount?: number;
  /** Upper bound for CPU auto scaling. @default 4 x desiredCount */
  readonly maxCount?: number;
  /** Host name devices use in Package URIs (`coap://<publicHost>/fw/...`). @default the NLB's DNS name */
  readonly publicHost?: string;
  /** Accept NoSec CoAP on 5683; when false only CoAPS on 5684 is reachable. @default true */
  readonly allowNoSec?: boolean;
  /**
   * Protect the NLB from deletion: when devices are provisioned with its DNS name (no
   * `publicHost`), a new load balancer would cut the fleet off its LwM2M server.
   * @default false
   */
  readonly loadBalancerDeletionProtection?: boolean;
  /** @default 3 months */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'info' (never debug in production: the block path would log per datagram) */
  readonly logLevel?: EdgeLogLevel;
  /** Task CPU units. @default 512 */
  readonly cpu?: number;
  /** Task memory (the image cache lives in it). @default 1024 */
  readonly memoryLimitMiB?: number;
  /**
   * How long a deregistering task keeps its existing flows: devices mid-download finish their
   * current exchanges, later blocks go to another task (blocks are served statelessly).
   * @default 30 seconds
   */
  readonly drainTime?: Duration;
  /** The bus the edge publishes job transitions to (FOTA_EVENT_BUS_NAME). @default none: events stay in the task */
  readonly eventBus?: events.IEventBus;
  /** Customer-managed key of the edge's and the flow logs' log groups. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
  /** Days telemetry values and device requests are kept (FOTA_RETENTION_DAYS, DynamoDB TTL). @default the store's, 90 */
  readonly retentionDays?: number;
}

export class EdgeService extends Construct {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly taskRole: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  /**
   * The NLB's security group. An NLB gets security groups only at creation (adding them later
   * replaces it, and with it its DNS name): hence one from the start.
   */
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The VPC and its endpoints, when created here (undefined with `vpc`). */
  readonly network: EdgeNetwork | undefined;
  readonly service: ecs.FargateService;
  readonly scaling: ecs.ScalableTaskCount;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** One UDP listener per device-facing port: 5684 always, 5683 when NoSec is allowed. */
  readonly listeners: ReadonlyMap<number, elbv2.NetworkListener>;
  readonly targetGroups: ReadonlyMap<number, elbv2.NetworkTargetGroup>;
  readonly logGroup: logs.LogGroup;
  /** The host devices are given in Package URIs. */
  readonly publicHost: string;

  constructor(scope: Construct, id: string, props: EdgeServiceProps) {
    super(scope, id);
    const desiredCount = props.desiredCount ?? 2;
    const maxCount = props.maxCount ?? desiredCount * 4;
    if (!Number.isInteger(desiredCount) || desiredCount < 1) throw new Error(`EdgeService: desiredCount must be a positive integer, got ${desiredCount}`);
    if (!Number.isInteger(maxCount) || maxCount < desiredCount) throw new Error(`EdgeService: maxCount (${maxCount}) must be an integer not below desiredCount (${desiredCount})`);
    if (props.vpc !== undefined && props.natGateways !== undefined) throw new Error('EdgeService: natGateways applies only to the VPC created here; omit it when passing vpc');
    const drainTime = props.drainTime ?? Duration.seconds(30);
    const devicePorts = props.allowNoSec === false ? [EdgePort.Coaps] : [EdgePort.Coap, EdgePort.Coaps];

    // `as`: jsii classes declare optional members without `| undefined`, so under
    // exactOptionalPropertyTypes a construct is not assignable to its own interface.
    this.network = props.vpc === undefined ? createEdgeNetwork(this, { ...(props.natGateways === undefined ? {} : { natGateways: props.natGateways }), ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }), ...(props.logKey === undefined ? {} : { logKey: props.logKey }) }) : undefined;
    this.vpc = props.vpc ?? (this.network?.vpc as ec2.IVpc);
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'FOTA edge NLB: CoAP from devices anywhere; to the edge tasks only',
      allowAllOutbound: false,
    });
    for (const port of devicePorts) {
      this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.udp(port), port === EdgePort.Coap ? 'CoAP (NoSec) from devices' : 'CoAP over DTLS from devices');
    }
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroups: [this.loadBalancerSecurityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      crossZoneEnabled: true,
      deletionProtection: props.loadBalancerDeletionProtection ?? false,
    });
    this.publicHost = props.publicHost ?? this.loadBalancer.loadBalancerDnsName;

    this.taskRole = new iam.Role(this, 'TaskRole', {
      // The credential key's policy lets roles under this path decrypt device PSKs.
      path: props.taskRolePath ?? '/fota/edge/',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'FOTA CoAP edge task: device registry and jobs read/write, image metadata and objects read',
    });
    // Through the VPC's endpoints only, when the VPC is ours: a leaked task credential is no use outside it.
    const throughDynamoDbEndpoint = this.network === undefined ? undefined : { StringEquals: { 'aws:SourceVpce': this.network.dynamoDbEndpoint.vpcEndpointId } };
    // Devices register and de-register (DeleteItem on devices); jobs, requests and telemetry are put and updated only.
    props.storage.grantTables(this.taskRole, ['read', 'write', 'delete'], ['devices'], throughDynamoDbEndpoint);
    props.storage.grantTables(this.taskRole, ['read', 'write'], ['jobs', 'requests', 'telemetry'], throughDynamoDbEndpoint);
    props.storage.grantTables(this.taskRole, ['read'], ['images', 'credentials', 'campaigns'], throughDynamoDbEndpoint);
    // The edge ends the workflow's phase waits (coap-edge/jobs/PhaseWaker.ts): the task token is on the campaign.
    props.campaignWorkflow?.grantTaskResponse(this.taskRole);
    this.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [props.storage.credentialKey.keyArn],
      ...(this.network === undefined ? {} : { conditions: { StringEquals: { 'aws:SourceVpce': this.network.kmsEndpoint.vpcEndpointId } } }),
    }));
    this.taskRole.addManagedPolicy(props.storage.imageReadPolicy);
    props.eventBus?.grantPutEventsTo(this.taskRole);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS, ...(props.logKey === undefined ? {} : { encryptionKey: props.logKey }) });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryLimitMiB ?? 1024,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: this.taskRole,
    });
    this.container = this.taskDefinition.addContainer('Edge', {
      containerName: CONTAINER_NAME,
      // Built by `cdk deploy` (docker buildx, linux/arm64); synth only fingerprints the context.
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, { file: 'coap-edge/Dockerfile', platform: Platform.LINUX_ARM64 }),
      environment: {
        FOTA_EDGE_PORT: String(EdgePort.Coap),
        FOTA_EDGE_SECURE_PORT: String(EdgePort.Coaps),
        // NoSec is off in AWS unless the stage enables it (context allowNoSec).
        FOTA_EDGE_ALLOW_NOSEC: String(props.allowNoSec === true),
        FOTA_EDGE_BIND_ADDRESS: '0.0.0.0',
        FOTA_EDGE_HEALTH_PORT: String(EdgePort.Health),
        FOTA_EDGE_PUBLIC_HOST: this.publicHost,
        FOTA_LOG_LEVEL: props.logLevel ?? 'info',
        FOTA_REGION: Stack.of(this).region,
        FOTA_DEVICES_TABLE: props.storage.devices.tableName,
        FOTA_JOBS_TABLE: props.storage.jobs.tableName,
        FOTA_CAMPAIGNS_TABLE: props.storage.campaigns.tableName,
        FOTA_IMAGES_TABLE: props.storage.images.tableName,
        FOTA_REQUESTS_TABLE: props.storage.requests.tableName,
        FOTA_TELEMETRY_TABLE: props.storage.telemetry.tableName,
        FOTA_CREDENTIALS_TABLE: props.storage.credentials.tableName,
        FOTA_KMS_KEY_ID: props.storage.credentialKey.keyArn,
        FOTA_IMAGE_BUCKET: props.storage.imageBucket.bucketName,
        ...(props.retentionDays === undefined ? {} : { FOTA_RETENTION_DAYS: String(props.retentionDays) }),
        // Job transitions the edge applies are published like the workflow's (store/PublishingJobStore.ts).
        ...(props.eventBus === undefined ? {} : { [EVENT_BUS_ENV]: props.eventBus.eventBusName }),
      },
      portMappings: [
        ...devicePorts.map((containerPort) => ({ containerPort, protocol: ecs.Protocol.UDP })),
        { containerPort: EdgePort.Health, protocol: ecs.Protocol.TCP },
      ],
      // Non-blocking: a slow log stream must never stall the datagram loop (STYLE.md §10).
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'edge', logGroup: this.logGroup, mode: ecs.AwsLogDriverMode.NON_BLOCKING, maxBufferSize: Size.mebibytes(25) }),
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${EdgePort.Health}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(20),
      },
      // SIGTERM starts draining (health answers 503, in-flight writes finish); SIGKILL after this.
      stopTimeout: Duration.seconds(30),
      readonlyRootFilesystem: true,
      linuxParameters: new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true }),
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'FOTA edge tasks: CoAP and health checks from the NLB only; HTTPS out to AWS endpoints',
      allowAllOutbound: false,
    });
    // Each rule also opens the NLB group's egress to the tasks on that port.
    for (const port of devicePorts) {
      this.securityGroup.connections.allowFrom(this.loadBalancerSecurityGroup, ec2.Port.udp(port), port === EdgePort.Coap ? 'CoAP (NoSec) through the NLB' : 'CoAP over DTLS through the NLB');
    }
    this.securityGroup.connections.allowFrom(this.loadBalancerSecurityGroup, ec2.Port.tcp(EdgePort.Health), 'NLB health checks');
    // HTTPS only: DynamoDB and S3 (gateway endpoints), KMS, Logs, ECR, STS, EventBridge (interface
    // endpoints). Answers to devices need no rule: security groups are stateful.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs through the VPC endpoints');
    this.network?.endpointSecurityGroup.connections.allowFrom(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from the edge tasks');

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster as ecs.ICluster,
      taskDefinition: this.taskDefinition,
      desiredCount,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });

    const listeners = new Map<number, elbv2.NetworkListener>();
    const targetGroups = new Map<number, elbv2.NetworkTargetGroup>();
    for (const port of devicePorts) {
      const listener = this.loadBalancer.addListener(`Udp${port}`, { port, protocol: elbv2.Protocol.UDP });
      const targetGroup = listener.addTargets(`Udp${port}Targets`, {
        port,
        protocol: elbv2.Protocol.UDP,
        targets: [this.service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort: port, protocol: ecs.Protocol.UDP })],
        healthCheck: {
          protocol: elbv2.Protocol.HTTP,
          port: String(EdgePort.Health),
          path: '/health',
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
        deregistrationDelay: drainTime,
      });
      listeners.set(port, listener);
      targetGroups.set(port, targetGroup);
    }
    this.listeners = listeners;
    this.targetGroups = targetGroups;

    this.scaling = this.service.autoScaleTaskCount({ minCapacity: desiredCount, maxCapacity: maxCount });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      // Scale in slowly: a removed task hands its devices' flows to others (ARCHITECTURE.md).
      scaleInCooldown: Duration.minutes(10),
      scaleOutCooldown: Duration.minutes(1),
    });
  }
}
