/**
 * Every cdk-nag (AwsSolutions) acknowledgement of the app, in one place, each with its reason
 * (STYLE.md §9). cdk-nag 3 reads CDK's own acknowledgements (`Validations.of(x).acknowledge`,
 * which replaced v2's NagSuppressions); a finding of a rule that reports several (IAM5) is
 * acknowledged one by one as `Rule[Finding]`, the finding spelled the way cdk-nag flattens the
 * CloudFormation reference, so it is computed here from the construct, never copied from a
 * report. Findings that could be fixed were fixed instead (see test/infra/nag.test.ts).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { IMAGE_KEY_PREFIX } from './constructs/FotaStorage.ts';
import type { FotaStacks } from './FotaApp.ts';

interface Acknowledgement {
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

export function acknowledgeNagFindings(stacks: FotaStacks): void {
  for (const { scope, id, reason } of nagAcknowledgements(stacks)) Validations.of(scope).acknowledge({ id, reason });
}

/** The acknowledgements, as data (the nag test checks each has a real reason). */
export function nagAcknowledgements({ storage, orchestration, edge }: FotaStacks): readonly Acknowledgement[] {
  const { imageBucket, imageReadPolicy } = storage.storage;
  const { stateMachine } = orchestration.workflow;
  const service = edge.edge;
  return [
    {
      scope: imageReadPolicy,
      id: iam5(imageReadPolicy, imageBucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`)),
      reason:
        'Edge tasks fetch any firmware image assigned to a job, keyed images/<imageId>.bin; the set of image ids is data, not known at deploy time. ' +
        'The wildcard is limited to the images/ prefix and to s3:GetObject.',
    },
    {
      scope: orchestration.functions,
      id: 'AwsSolutions-L1',
      reason:
        'Workflow Lambdas stay on nodejs22.x (project decision, issue 6): the code is built and tested on Node 20/22 (esbuild target node20); ' +
        'moving to nodejs24.x waits until the toolchain and tests run on Node 24.',
    },
    {
      scope: orchestration.api.handler,
      id: 'AwsSolutions-L1',
      reason: 'The API Lambda stays on nodejs22.x like the workflow Lambdas: built with esbuild target node20 and tested on Node 20; nodejs24.x follows the toolchain.',
    },
    {
      scope: storage.storage.imageManagePolicy,
      id: iam5(storage.storage.imageManagePolicy, imageBucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`)),
      reason:
        'The API presigns uploads and downloads of firmware images and deletes unused ones, keyed images/<imageId>.bin: image ids are data. ' +
        'The wildcard is limited to the images/ prefix and to Get/Put/Delete/AbortMultipartUpload.',
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
      scope: service.securityGroup,
      id: 'AwsSolutions-EC23',
      reason:
        'LwM2M devices (smart meters behind arbitrary carrier NATs) reach the edge from any IPv4 address; the NLB UDP target groups preserve their ' +
        'source address, so the task security group must admit UDP 5683/5684 from 0.0.0.0/0. Only those ports are open to the internet; the health port is VPC-only.',
    },
    {
      scope: service.loadBalancer,
      id: 'AwsSolutions-ELB2',
      reason:
        'NLB access logs record TLS listener traffic only; this load balancer has UDP listeners only, so its access log would always be empty. ' +
        'Device traffic is observed through VPC flow logs (rejected flows), the NLB UDP flow metrics and the edge structured logs.',
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
