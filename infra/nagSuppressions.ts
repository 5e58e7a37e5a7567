/**
 * Every cdk-nag AwsSolutions acknowledgement of the app, in one place, each with its reason
 * (STYLE.md §9). cdk-nag 3 reads CDK's own acknowledgements (`Validations.of(x).acknowledge`,
 * which replaced v2's NagSuppressions); a finding of a rule that reports several (IAM5) is
 * acknowledged one by one as `Rule[Finding]`, the finding spelled the way cdk-nag flattens the
 * CloudFormation reference, so it is computed here from the construct, never copied from a
 * report. Findings that could be fixed were fixed instead (see test/infra/nag.test.ts).
 */
import { DefaultStackSynthesizer, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { BACKUP_MANAGED_POLICIES, IMAGE_KEY_PREFIX, UPLOAD_KEY_PREFIX } from './constructs/FotaStorage.ts';
import type { FotaStacks } from './FotaApp.ts';
import { ACCESS_ROLES, ROLE_GRANTS } from '../core/access/roles.ts';
import { nistAcknowledgements } from './nistAcknowledgements.ts';

export interface Acknowledgement {
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

/** Records the AwsSolutions and the NIST 800-53 rev 5 acknowledgements (infra/nistAcknowledgements.ts). */
export function acknowledgeNagFindings(stacks: FotaStacks): void {
  for (const { scope, id, reason } of [...nagAcknowledgements(stacks), ...nistAcknowledgements(stacks)]) Validations.of(scope).acknowledge({ id, reason });
}

/** The AwsSolutions acknowledgements, as data (the nag test checks each has a real reason). */
export function nagAcknowledgements({ config, storage, orchestration, edge }: FotaStacks): readonly Acknowledgement[] {
  const { imageBucket, imageReadPolicy } = storage.storage;
  const { stateMachine } = orchestration.workflow;
  const service = edge.edge;
  const { dashboard } = orchestration;
  // The actions CDK's BucketDeployment grants its function on the asset bucket and the destination.
  const deploymentActions = ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'];
  const assetObjects = `arn:<AWS::Partition>:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>/*`;
  const deploymentFunction = Stack.of(dashboard).node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (deploymentFunction === undefined) throw new Error('the BucketDeployment function of the dashboard was not found');
  const { preflightRoute } = orchestration.api;
  if (preflightRoute === undefined) throw new Error('the API has no CORS preflight route');
  return [
    {
      scope: imageReadPolicy,
      id: iam5(imageReadPolicy, imageBucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`)),
      reason:
        'Edge tasks fetch any firmware image assigned to a job, keyed images/<imageId>.bin; the set of image ids is data, not known at deploy time. ' +
        'The wildcard is limited to the images/ prefix and to s3:GetObject.',
    },
    {
      scope: storage.storage.imageManagePolicy,
      id: iam5(storage.storage.imageManagePolicy, imageBucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`)),
      reason:
        'The API copies verified uploads to images/<imageId>.bin, reads them at their version and deletes unused ones: image ids are data. ' +
        'The wildcard is limited to the images/ prefix and to Get/GetVersion/Put/Delete/AbortMultipartUpload.',
    },
    {
      scope: storage.storage.imageManagePolicy,
      id: iam5(storage.storage.imageManagePolicy, imageBucket.arnForObjects(`${UPLOAD_KEY_PREFIX}*`)),
      reason:
        'The API presigns uploads of firmware images to uploads/<imageId>.bin (image ids are data), copies them to images/ at complete and deletes them. ' +
        'The wildcard is limited to the uploads/ prefix, which devices are never served from.',
    },
    ...Object.values(orchestration.functions.handlers).map((fn) => ({
      scope: stateMachine.role,
      id: iam5(stateMachine.role, `${fn.functionArn}:*`),
      reason:
        'Written by tasks.LambdaInvoke: lambda:InvokeFunction on the workflow function and its qualified versions/aliases (<arn>:*). ' +
        'Scoped to this one workflow function; no other function can be invoked.',
    })),
    {
      scope: stateMachine.role,
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and CloudWatch Logs vended log delivery ' +
        '(logs:CreateLogDelivery, GetLogDelivery, ... DescribeLogGroups) do not support resource-level permissions; AWS documents Resource "*" for both.',
    },
    {
      scope: stateMachine,
      id: 'AwsSolutions-SF1',
      reason:
        'Campaign executions run for days with a Wait/Evaluate loop per cohort; ALL-level logging would record every polling transition. ' +
        'ERROR-level logs plus X-Ray tracing and the execution history cover diagnosis; the definition is shared with the local runner.',
    },
    {
      scope: dashboard.readerRole,
      id: iam5(dashboard.readerRole, orchestration.api.api.arnForExecuteApi('GET', '/*', '*')),
      reason:
        'The dashboard role exists to read the API: execute-api:Invoke on GET of every route of this one HTTP API, any stage. Route paths carry campaign ids, ' +
        'device endpoints and cursors known only at run time; no other method (POST, PUT, DELETE) and no other API can be invoked.',
    },
    // The roles of core/access/roles.ts: each grant is a method on a route pattern of this one API.
    ...ACCESS_ROLES.flatMap((role) =>
      ROLE_GRANTS[role].allow.map((grant) => ({
        scope: orchestration.accessRoles.policies[role],
        id: iam5(orchestration.accessRoles.policies[role], orchestration.api.api.arnForExecuteApi(grant.method, grant.path, '*')),
        reason:
          `The ${role} role of the REST API: execute-api:Invoke on ${grant.method} ${grant.path} of this one HTTP API, any stage (core/access/roles.ts). ` +
          'Route paths carry campaign ids and device endpoints known only at run time; the wildcard stands for them, and an explicit Deny (operator: approve) narrows it.',
      })),
    ),
    ...deploymentActions.map((action) => ({
      scope: dashboard.deploymentRole,
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason:
        "Granted by CDK's BucketDeployment (Bucket.grantRead/grantReadWrite) to the function that runs `aws s3 sync --delete` of the dashboard files at deploy time: " +
        'only on the CDK bootstrap asset bucket and on the dashboard bucket, which holds nothing but those files.',
    })),
    {
      scope: dashboard.deploymentRole,
      id: `AwsSolutions-IAM5[Resource::${assetObjects}]`,
      reason:
        "Granted by CDK's BucketDeployment: the deploy-time copy reads the dashboard's asset zips from the CDK bootstrap asset bucket, whose object keys " +
        'are content hashes computed at synth time; read-only, and the bucket holds only deployment assets.',
    },
    {
      scope: dashboard.deploymentRole,
      id: iam5(dashboard.deploymentRole, dashboard.bucket.arnForObjects('*')),
      reason:
        "Granted by CDK's BucketDeployment: syncing the dashboard files writes and prunes objects under dashboard/ of the dashboard bucket, a bucket that " +
        'holds only these reproducible files (built from the repository on every deploy).',
    },
    {
      scope: deploymentFunction,
      id: 'AwsSolutions-L1',
      reason:
        "The BucketDeployment function's runtime (Python with the AWS CLI layer) is chosen by aws-cdk-lib and cannot be set; it runs only during a deploy " +
        'to copy static files, and moves to newer runtimes with aws-cdk-lib upgrades.',
    },
    {
      scope: preflightRoute,
      id: 'AwsSolutions-APIG4',
      reason:
        'The OPTIONS /{proxy+} route is unauthenticated by necessity: browsers send CORS preflights without credentials (Fetch standard), and AWS documents ' +
        'this route for HTTP APIs whose $default route has an authorizer. It returns no data; every other request stays IAM-authorized.',
    },
    {
      scope: dashboard.distribution,
      id: 'AwsSolutions-CFR1',
      reason:
        'Release managers sign in from wherever they work; no fixed country list exists. The distribution serves only static HTML, CSS and JavaScript; ' +
        'data is reachable only through the API with a Cognito sign-in (TOTP MFA required) and SigV4.',
    },
    {
      scope: dashboard.distribution,
      id: 'AwsSolutions-CFR2',
      reason:
        'The distribution serves a few static files to a handful of release managers and takes no input; a WAF web ACL would cost more than the dashboard. ' +
        'CloudFront has AWS Shield Standard, and the API behind the sign-in is throttled per stage.',
    },
    // With dashboardDomain + dashboardCertificateArn the distribution requires TLS 1.2 and the finding does not occur.
    ...(config.dashboardDomain === undefined
      ? [{
          scope: dashboard.distribution,
          id: 'AwsSolutions-CFR4',
          reason:
            'This stage names no dashboardDomain, so the dashboard uses the default *.cloudfront.net certificate, for which CloudFront fixes the minimum ' +
            'viewer protocol; set dashboardDomain and dashboardCertificateArn for TLS 1.2 (README, deploy). HTTPS is enforced (redirect) with HSTS.',
        }]
      : []),
    ...BACKUP_MANAGED_POLICIES.map((name) => ({
      scope: storage.storage.backupRole,
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${name}]`,
      reason:
        `${name} is the policy AWS maintains for the AWS Backup service role (AWS Backup docs, "Managed policies for AWS Backup"): it follows the ` +
        'actions each supported service needs as AWS changes them, and is attached only to the role AWS Backup assumes.',
    })),
    {
      scope: service.taskDefinition.obtainExecutionRole(),
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, needed by the ECS agent to pull the edge image, has no resource-level permissions (Resource must be "*"); ' +
        'the image pull actions themselves are scoped to the CDK asset repository.',
    },
    {
      scope: service.taskDefinition,
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds configuration only, no secret: ports, log level, region, the public host name, and table and bucket names. ' +
        'AWS credentials come from the task role; Secrets Manager would add cost and a start-up dependency for public values.',
    },
    {
      scope: service.loadBalancerSecurityGroup,
      id: 'AwsSolutions-EC23',
      reason:
        'LwM2M devices (smart meters behind arbitrary carrier NATs) reach the edge from any IPv4 address, so the NLB security group admits UDP 5684 ' +
        '(and 5683 when NoSec is allowed) from 0.0.0.0/0. Only those ports; the tasks admit the NLB group only.',
    },
    {
      scope: service.loadBalancer,
      id: 'AwsSolutions-ELB2',
      reason:
        'NLB access logs record TLS listener traffic only; this load balancer has UDP listeners only, so its access log would always be empty. ' +
        'Device traffic is observed through VPC flow logs (all traffic), the NLB UDP flow metrics and the edge structured logs.',
    },
  ];
}

/** `AwsSolutions-IAM5[Resource::...]` for a resource ARN, as cdk-nag names the finding. */
function iam5(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resourceArn))}]`;
}

/** cdk-nag's flattening of a CloudFormation reference: `<LogicalId.Attr>` for GetAtt, `<LogicalId>` for Ref. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (isIntrinsic(value, 'Fn::Join')) {
    const [delimiter, parts] = value['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if (isIntrinsic(value, 'Fn::GetAtt')) {
    const [logicalId, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(logicalId)}.${flatten(attribute)}>`;
  }
  if (isIntrinsic(value, 'Ref')) return `<${flatten(value['Ref'])}>`;
  throw new Error(`cannot name an IAM5 finding for ${JSON.stringify(value)}`);
}

function isIntrinsic<K extends string>(value: unknown, key: K): value is Record<K, unknown> {
  return typeof value === 'object' && value !== null && key in value;
}
