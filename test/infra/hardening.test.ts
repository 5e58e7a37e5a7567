import { beforeAll, describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildFotaApp, type FotaStacks } from '../../infra/FotaApp.ts';
import { FOTA_METRIC_SERVICE, FOTA_METRICS_NAMESPACE, FotaMetric } from '../../core/metrics.ts';
import { WorkflowHandler } from '../../core/campaign/workflowStates.ts';

// Lambda bundling is not what these tests assert (workflow.test.ts bundles for real).
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

type Resource = { readonly Properties: Record<string, unknown> };
const alarmsOf = (template: Template): Resource[] => Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
/** The metrics an alarm reads, whether it reads one metric or a math expression. */
function metricsOf(alarm: Resource): { namespace: string; name: string; dimensions: Record<string, unknown> }[] {
  const p = alarm.Properties as { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value: unknown }[]; Metrics?: { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } } }[] };
  const dims = (list: { Name: string; Value: unknown }[] | undefined) => Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
  if (p.MetricName !== undefined) return [{ namespace: p.Namespace ?? '', name: p.MetricName, dimensions: dims(p.Dimensions) }];
  return (p.Metrics ?? []).flatMap((m) => (m.MetricStat === undefined ? [] : [{ namespace: m.MetricStat.Metric.Namespace, name: m.MetricStat.Metric.MetricName, dimensions: dims(m.MetricStat.Metric.Dimensions) }]));
}

describe('production hardening (-c stage=prod -c publicHost=... -c alarmEmail=...)', () => {
  let stacks: FotaStacks;
  let observability: Template;
  let orchestration: Template;
  let storage: Template;
  let edge: Template;

  beforeAll(() => {
    stacks = buildFotaApp({ context: { ...SKIP_BUNDLING, stage: 'prod', publicHost: 'lwm2m.example.net', alarmEmail: 'oncall@example.net' } });
    observability = Template.fromStack(stacks.observability);
    orchestration = Template.fromStack(stacks.orchestration);
    storage = Template.fromStack(stacks.storage);
    edge = Template.fromStack(stacks.edge);
  });

  describe('the device-PSK key', () => {
    type Statement = { Sid?: string; Action: string | string[]; Principal: unknown; Condition?: Record<string, Record<string, unknown>> };
    const keyStatements = (): Statement[] => {
      const key = storage.findResources('AWS::KMS::Key')[logicalId(stacks.storage.storage.credentialKey)];
      return key?.['Properties']['KeyPolicy']['Statement'] as Statement[];
    };
    const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
    const crypto = /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|\*)/;

    it('has an explicit policy: administrators administer without any cryptographic operation', () => {
      const statements = keyStatements();
      expect(statements.map((s) => s.Sid)).toEqual(['AdministerWithoutUse', 'EdgeDecrypts', 'ApiSealsBound']);
      const admin = statements[0] as Statement;
      expect(actions(admin)).toContain('kms:Put*');
      expect(actions(admin).filter((a) => crypto.test(a))).toEqual([]);
      for (const statement of statements.slice(1)) expect(statement.Condition?.['ArnLike']?.['aws:PrincipalArn'], statement.Sid).toBeDefined();
    });

    it('lets only the edge task role path decrypt, and only the API role path generate data keys, with the {identity, endpoint} context', () => {
      const [, decrypt, seal] = keyStatements() as [Statement, Statement, Statement];
      expect(actions(decrypt)).toEqual(['kms:Decrypt']);
      expect(JSON.stringify(decrypt.Condition)).toContain(':role/fota-prod/edge/*');
      expect(actions(seal)).toEqual(['kms:GenerateDataKey']);
      expect(JSON.stringify(seal.Condition)).toContain(':role/fota-prod/api/*');
      expect(seal.Condition?.['ForAllValues:StringEquals']).toEqual({ 'kms:EncryptionContextKeys': ['identity', 'endpoint'] });
      edge.hasResourceProperties('AWS::IAM::Role', { Path: '/fota-prod/edge/', AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })] }) });
      orchestration.hasResourceProperties('AWS::IAM::Role', { Path: '/fota-prod/api/', Description: 'FOTA REST API' });
    });

    it('gives the API role no kms:Decrypt on the device-PSK key, and no role of the orchestration stack any (the data key is another key)', () => {
      const policies = Object.values(orchestration.findResources('AWS::IAM::Policy'));
      const credentialKey = logicalId(stacks.storage.storage.credentialKey);
      const onCredentialKey = policies
        .flatMap((p) => p['Properties']['PolicyDocument']['Statement'] as (Statement & { Resource: unknown })[])
        .filter((s) => JSON.stringify(s.Resource).includes(credentialKey))
        .flatMap(actions);
      expect(onCredentialKey).not.toContain('kms:Decrypt');
      expect(onCredentialKey).toContain('kms:GenerateDataKey');
    });
  });

  describe('alarms that can fire', () => {
    it('subscribes the alarmEmail address to the alarm topic', () => {
      observability.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.net', TopicArn: { Ref: logicalId(stacks.observability.observability.alarmTopic) } });
    });

    it('pages when no edge task is healthy, missing data included (HealthyHostCount, not UnHealthyHostCount)', () => {
      observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/NetworkELB', MetricName: 'HealthyHostCount', Statistic: 'Minimum', Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching',
      });
      expect(alarmsOf(observability).flatMap(metricsOf).some((m) => m.name === 'UnHealthyHostCount')).toBe(false);
    });

    it('pages when fewer edge tasks run than desired, missing data included', () => {
      const alarm = alarmsOf(observability).find((a) => metricsOf(a).some((m) => m.name === 'DesiredTaskCount'));
      expect(alarm?.Properties).toMatchObject({ TreatMissingData: 'breaching', ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1 });
      expect(metricsOf(alarm as Resource).map((m) => `${m.namespace}/${m.name}`).sort()).toEqual(['ECS/ContainerInsights/DesiredTaskCount', 'ECS/ContainerInsights/RunningTaskCount']);
    });

    it('pages on executions failed, timed out and aborted', () => {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        observability.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: metric, Statistic: 'Sum', Threshold: 1 });
      }
    });

    it('pages on API 5xx and on the API function being throttled', () => {
      observability.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Statistic: 'Sum' });
      observability.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: Match.anyValue() }] });
    });

    it('pages on read or write throttling of every table', () => {
      const throttled = alarmsOf(observability).map(metricsOf).filter((metrics) => metrics.some((m) => m.name === 'WriteThrottleEvents'));
      expect(throttled).toHaveLength(stacks.storage.storage.tables.length);
      for (const metrics of throttled) expect(metrics.map((m) => m.name).sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    });

    it('reads every custom metric under the namespace and service dimension its emitter writes (core/metrics.ts)', () => {
      const custom = alarmsOf(observability).flatMap(metricsOf).filter((m) => m.namespace === FOTA_METRICS_NAMESPACE);
      expect(custom.map((m) => m.name).sort()).toEqual([FotaMetric.CampaignsAborted, FotaMetric.HandshakesRejected]);
      for (const metric of custom) expect(metric.dimensions, metric.name).toEqual({ service: FOTA_METRIC_SERVICE[metric.name as FotaMetric] });
      const [dashboard] = Object.values(observability.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard?.['Properties']['DashboardBody']);
      for (const metric of Object.values(FotaMetric)) expect(body).toContain(`\\"${FOTA_METRICS_NAMESPACE}\\",\\"${metric}\\",\\"service\\",\\"${FOTA_METRIC_SERVICE[metric]}\\"`);
    });
  });

  describe('resilience', () => {
    it('reserves concurrency for the API function and a floor for each workflow function', () => {
      const functions = orchestration.findResources('AWS::Lambda::Function');
      expect(functions[logicalId(stacks.orchestration.api.handler)]?.['Properties']['ReservedConcurrentExecutions']).toBe(50);
      const workflow = stacks.orchestration.functions.functions;
      expect(workflow).toHaveLength(Object.keys(WorkflowHandler).length);
      for (const fn of workflow) expect(functions[logicalId(fn)]?.['Properties']['ReservedConcurrentExecutions'], fn.node.id).toBe(5);
    });
  });
});
