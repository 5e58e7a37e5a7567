/**
 * The cdk-nag NIST 800-53 rev 5 acknowledgements of the prod stage, each on the construct it
 * concerns, with its reason (STYLE.md §9). The pack found 86 findings before issue 18; most were
 * fixed (customer-managed keys, AWS Backup, bucket versioning, reserved concurrency, VPC
 * endpoints, security groups). What is left is by design; `npm run nag` counts it, and
 * test/infra/nag.test.ts keeps it at 20 or fewer.
 */
import { Stack } from 'aws-cdk-lib';
import type { FotaStacks } from './FotaApp.ts';
import type { Acknowledgement } from './nagSuppressions.ts';

const NIST = 'NIST.800.53.R5';

export function nistAcknowledgements({ storage, orchestration, edge }: FotaStacks): readonly Acknowledgement[] {
  const { dashboard } = orchestration;
  const service = edge.edge;
  const deploymentFunction = Stack.of(dashboard).node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (deploymentFunction === undefined) throw new Error('the BucketDeployment function of the dashboard was not found');
  return [
    {
      scope: storage.storage,
      id: `${NIST}-S3BucketReplicationEnabled`,
      reason:
        'Firmware images are re-uploadable build artefacts kept versioned and backed up daily by AWS Backup (a vault in the same account); ' +
        'cross-region replication would double storage for no recovery the backups do not already give. The access log bucket is an audit copy.',
    },
    {
      scope: dashboard,
      id: `${NIST}-S3BucketReplicationEnabled`,
      reason:
        'The dashboard bucket holds static files rebuilt from the repository on every deploy, and its log bucket CloudFront and S3 access logs; ' +
        'neither is a system of record, so replicating them to another region would protect nothing that a redeploy does not restore.',
    },
    {
      scope: storage.storage.accessLogBucket,
      id: `${NIST}-S3DefaultEncryptionKMS`,
      reason:
        'S3 server access logging delivers only to buckets encrypted with SSE-S3 (AWS docs, "Enabling Amazon S3 server access logging"); ' +
        'a KMS default key on the target bucket would make S3 drop the image bucket\'s access logs.',
    },
    {
      scope: dashboard,
      id: `${NIST}-S3DefaultEncryptionKMS`,
      reason:
        'The dashboard bucket serves public static HTML, CSS and JavaScript through CloudFront, and its log bucket receives S3 server access logs, ' +
        'which must be SSE-S3; the files are not secret, and a KMS key would add a key policy for CloudFront without protecting any data.',
    },
    {
      scope: orchestration,
      id: `${NIST}-IAMNoInlinePolicy`,
      reason:
        'Each role here has its own least-privilege policy, written by CDK grants as the role\'s default policy (one per role, per function); ' +
        'managed policies would be the same statements under another resource type, reusable by other roles, which is what least privilege avoids.',
    },
    {
      scope: edge,
      id: `${NIST}-IAMNoInlinePolicy`,
      reason:
        'The task role, the task execution role and the flow log role each carry their own CDK-generated least-privilege policy, bound to one role; ' +
        'turning them into managed policies would let other roles attach them without making any of them narrower.',
    },
    {
      scope: orchestration,
      id: `${NIST}-LambdaDLQ`,
      reason:
        'Every function here is invoked synchronously (Step Functions tasks, API Gateway, the CloudFormation custom resource), and a dead-letter queue ' +
        'only receives failed asynchronous invocations: failures are retried and caught in the workflow, answered to the API caller, or fail the deploy.',
    },
    {
      scope: orchestration,
      id: `${NIST}-LambdaInsideVPC`,
      reason:
        'The functions call only AWS APIs (DynamoDB, S3, KMS, Step Functions, EventBridge) over TLS with IAM, never a host in the VPC; attaching them to ' +
        'the VPC would add ENIs, NAT or more endpoints and cold-start latency without narrowing what they can reach (their roles do that).',
    },
    {
      scope: deploymentFunction,
      id: `${NIST}-LambdaConcurrency`,
      reason:
        "CDK's BucketDeployment function runs once per deploy to copy the dashboard files; its properties are set by aws-cdk-lib and it is never " +
        'invoked by anything but CloudFormation, so a concurrency limit would protect nothing.',
    },
    {
      scope: service.vpc,
      id: `${NIST}-VPCDefaultSecurityGroupClosed`,
      reason:
        'Nothing in the VPC uses the default security group: tasks, the NLB and the endpoints each have their own. Closing it takes a custom resource ' +
        'Lambda (restrictDefaultSecurityGroup), with its own role and runtime to maintain, for a group no resource is in.',
    },
    {
      scope: service.vpc,
      id: `${NIST}-VPCNoUnrestrictedRouteToIGW`,
      reason:
        'The public subnets hold the internet-facing NLB that devices reach on UDP 5684 and the NAT gateways, and need a route to the internet gateway; ' +
        'tasks run in private subnets and their HTTPS egress goes to the VPC endpoints.',
    },
    {
      scope: service.loadBalancer,
      id: `${NIST}-ELBLoggingEnabled`,
      reason:
        'NLB access logs record TLS listener traffic only; this load balancer has UDP listeners only, so its access log would stay empty. ' +
        'Device traffic is recorded by VPC flow logs (all traffic), the NLB flow metrics and the edge structured logs.',
    },
    {
      scope: service.loadBalancer,
      id: `${NIST}-ELBv2ACMCertificateRequired`,
      reason:
        'The listeners are UDP: an NLB terminates TLS on TCP only, and LwM2M devices speak DTLS 1.2 with pre-shared keys (RFC 7925) that the edge ' +
        'terminates itself, so no ACM certificate can apply; the device key, not a certificate, authenticates the server.',
    },
  ];
}
