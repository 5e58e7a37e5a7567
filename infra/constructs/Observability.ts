/**
 * What an SRE and a release manager look at: one dashboard (devices registering, firmware bytes
 * leaving, campaign progress, errors) and alarms on an encrypted SNS topic for the states that
 * need a human: no healthy edge, an aborted campaign, failing workflow tasks, failed executions.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * The custom metrics, in CloudWatch embedded metric format (EMF) on stdout: namespace `Fota`, no
 * dimensions (one dimension set `[]`), unit Count. The edge emits the first three, the workflow
 * the last; this dashboard and its alarms read exactly these names.
 */
export const FOTA_METRICS_NAMESPACE = 'Fota';
export const FotaMetric = {
  /** One per accepted Register (not per Update). */
  Registrations: 'Registrations',
  /** One per Block2 response carrying firmware bytes. */
  BlocksServed: 'BlocksServed',
  /** One per conditional job state write that succeeded. */
  JobTransitions: 'JobTransitions',
  /** One per campaign that ended aborted (abort threshold breached or operator cancel). */
  CampaignsAborted: 'CampaignsAborted',
} as const;
export type FotaMetric = (typeof FotaMetric)[keyof typeof FotaMetric];

/** The edge resources the dashboard and the unhealthy-edge alarm watch. */
export interface ObservedEdge {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly targetGroups: ReadonlyMap<number, elbv2.NetworkTargetGroup>;
  readonly service: ecs.FargateService;
}

export interface ObservabilityProps {
  /** Dashboard name prefix, e.g. `Fota-prod`. */
  readonly name: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly functions: readonly lambda.IFunction[];
  readonly edge: ObservedEdge;
}

export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic: sns.Topic;
  /** Customer managed, so CloudWatch may publish to the encrypted topic (an AWS managed key has no such grant). */
  readonly alarmTopicKey: kms.Key;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', { description: 'FOTA alarm topic encryption', enableKeyRotation: true });
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: `${props.name} alarms`, masterKey: this.alarmTopicKey, enforceSSL: true });

    const alarms = [
      ...this.unhealthyEdgeAlarms(props.edge),
      this.customMetric(FotaMetric.CampaignsAborted, Duration.minutes(5)).createAlarm(this, 'CampaignAborted', {
        alarmDescription: 'A campaign was aborted: its failure threshold was breached or an operator cancelled it. Check the campaign report before relaunching.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      ...props.functions.map((fn) =>
        fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, `${fn.node.id}Errors`, {
          alarmDescription: `Workflow task ${fn.node.id} failed; Step Functions retries, then marks the campaign failed.`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ),
      props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'WorkflowExecutionsFailed', {
        alarmDescription: 'A campaign workflow execution failed: the campaign is marked failed and no further cohorts start.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    const action = new actions.SnsAction(this.alarmTopic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms = alarms;
    this.dashboard = this.createDashboard(props);
  }

  /** One per target group: a task failing its health check stops receiving new device flows. */
  private unhealthyEdgeAlarms(edge: ObservedEdge): cloudwatch.Alarm[] {
    return [...edge.targetGroups].map(([port, targetGroup]) =>
      targetGroup.metrics.unHealthyHostCount({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }).createAlarm(this, `EdgeUnhealthy${port}`, {
        alarmDescription: `An edge task behind UDP ${port} fails its /health check (or is draining) for 3 minutes.`,
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  private customMetric(metricName: FotaMetric, period = Duration.minutes(1)): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: FOTA_METRICS_NAMESPACE, metricName, statistic: cloudwatch.Stats.SUM, period });
  }

  private createDashboard(props: ObservabilityProps): cloudwatch.Dashboard {
    const { edge, stateMachine, functions } = props;
    const targetGroups = [...edge.targetGroups];
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8): cloudwatch.GraphWidget => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${props.name}-fota`, defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `# ${props.name}: FOTA\nDevices, downloads, campaign progress and errors. Custom metrics: namespace \`${FOTA_METRICS_NAMESPACE}\`, emitted as EMF.`, width: 24, height: 2 }),
    );
    dashboard.addWidgets(
      graph('Registrations', [this.customMetric(FotaMetric.Registrations)]),
      graph('Firmware blocks served', [this.customMetric(FotaMetric.BlocksServed)]),
      graph('Job state transitions', [this.customMetric(FotaMetric.JobTransitions)]),
    );
    dashboard.addWidgets(
      graph('Campaign executions', [
        stateMachine.metricStarted({ statistic: cloudwatch.Stats.SUM }),
        stateMachine.metricSucceeded({ statistic: cloudwatch.Stats.SUM }),
        stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
        stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
      ]),
      graph('Campaigns aborted', [this.customMetric(FotaMetric.CampaignsAborted, Duration.minutes(5))]),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 8, height: 6 }),
    );
    dashboard.addWidgets(
      graph('Workflow task errors', functions.map((fn) => fn.metricErrors({ statistic: cloudwatch.Stats.SUM, label: fn.node.id }))),
      graph('Workflow task duration p99', functions.map((fn) => fn.metricDuration({ statistic: cloudwatch.Stats.p(99), label: fn.node.id }))),
      graph('Workflow task throttles', functions.map((fn) => fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, label: fn.node.id }))),
    );
    dashboard.addWidgets(
      graph('Edge hosts (healthy / unhealthy)', targetGroups.flatMap(([port, tg]) => [
        tg.metrics.healthyHostCount({ statistic: cloudwatch.Stats.MINIMUM, label: `healthy ${port}` }),
        tg.metrics.unHealthyHostCount({ statistic: cloudwatch.Stats.MAXIMUM, label: `unhealthy ${port}` }),
      ])),
      graph('UDP flows (NLB)', [
        edge.loadBalancer.metrics.custom('ActiveFlowCount_UDP', { statistic: cloudwatch.Stats.AVERAGE }),
        edge.loadBalancer.metrics.custom('NewFlowCount_UDP', { statistic: cloudwatch.Stats.SUM }),
      ]),
      graph('UDP bytes (NLB)', [edge.loadBalancer.metrics.custom('ProcessedBytes_UDP', { statistic: cloudwatch.Stats.SUM })]),
    );
    dashboard.addWidgets(
      graph('Edge CPU and memory (%)', [edge.service.metricCpuUtilization(), edge.service.metricMemoryUtilization()], 12),
      graph('Edge tasks running', [
        new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensionsMap: { ClusterName: edge.service.cluster.clusterName, ServiceName: edge.service.serviceName },
          statistic: cloudwatch.Stats.AVERAGE,
        }),
      ], 12),
    );
    return dashboard;
  }
}
