/**
 * The edge's VPC: public subnets for the NLB and the NAT gateways, private subnets for the tasks,
 * gateway endpoints for S3 and DynamoDB, interface endpoints for every other AWS API the tasks and
 * the Fargate agent call (KMS, CloudWatch Logs, ECR API and registry, STS, EventBridge), and flow
 * logs of all traffic. With the endpoints, the tasks' security group can stay limited to HTTPS.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface EdgeNetworkProps {
  /** NAT gateways (one per AZ for production: a task in either AZ keeps reaching the internet). @default 1 */
  readonly natGateways?: number;
  /** @default 3 months */
  readonly logRetention?: logs.RetentionDays;
  /** Customer-managed key of the flow log group. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
}

/** The AWS APIs reached through interface endpoints, by construct id. */
const INTERFACE_ENDPOINTS = {
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  Events: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
} as const;

/** What `createEdgeNetwork` made. */
export interface EdgeNetwork {
  readonly vpc: ec2.Vpc;
  /** DynamoDB's gateway endpoint: the task role's table grants require requests through it (aws:SourceVpce). */
  readonly dynamoDbEndpoint: ec2.GatewayVpcEndpoint;
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  /** KMS's interface endpoint: the task role may decrypt device keys only through it (aws:SourceVpce). */
  readonly kmsEndpoint: ec2.InterfaceVpcEndpoint;
  readonly interfaceEndpoints: ReadonlyMap<InterfaceEndpointName, ec2.InterfaceVpcEndpoint>;
  /** The interface endpoints' one security group: it admits nobody until a client group is allowed in (`allowFrom(..., 443)`). */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  readonly flowLogGroup: logs.LogGroup;
}

export type InterfaceEndpointName = keyof typeof INTERFACE_ENDPOINTS;

/** Creates the network in `scope` (construct ids `Vpc`, `FlowLogs`, so the VPC keeps its logical ids). */
export function createEdgeNetwork(scope: Construct, props: EdgeNetworkProps = {}): EdgeNetwork {
  const flowLogGroup = new logs.LogGroup(scope, 'FlowLogs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS, ...(props.logKey === undefined ? {} : { encryptionKey: props.logKey }) });
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: props.natGateways ?? 1,
    subnetConfiguration: [
      // Nothing launched here needs a public IP of its own: the NLB and the NAT gateways bring theirs.
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
    ],
    // Jobs, registrations and image reads stay off the NAT gateway (cost, and one less hop).
    gatewayEndpoints: {
      S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
    },
    // All traffic, accepted and rejected: an incident review needs who talked to the edge, not only who was refused.
    flowLogs: { All: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup), trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  const endpointSecurityGroup = new ec2.SecurityGroup(scope, 'EndpointSecurityGroup', { vpc: vpc as ec2.IVpc, description: 'FOTA edge VPC interface endpoints: HTTPS from the edge tasks only', allowAllOutbound: false });
  const interfaceEndpoints = new Map<InterfaceEndpointName, ec2.InterfaceVpcEndpoint>();
  for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS) as [InterfaceEndpointName, ec2.InterfaceVpcEndpointAwsService][]) {
    // Private DNS: the SDKs' default endpoints resolve to these. `open: false`: not the whole VPC's CIDR, only the groups allowed in.
    interfaceEndpoints.set(name, vpc.addInterfaceEndpoint(`${name}Endpoint`, { service, privateDnsEnabled: true, open: false, securityGroups: [endpointSecurityGroup], subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }));
  }
  const child = (id: string): ec2.GatewayVpcEndpoint => vpc.node.findChild(id) as ec2.GatewayVpcEndpoint;
  return {
    vpc,
    s3Endpoint: child('S3'),
    dynamoDbEndpoint: child('DynamoDb'),
    kmsEndpoint: interfaceEndpoints.get('Kms') as ec2.InterfaceVpcEndpoint,
    interfaceEndpoints,
    endpointSecurityGroup,
    flowLogGroup,
  };
}
