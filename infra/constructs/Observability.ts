/**
 * What an SRE and a release manager look at: one dashboard (devices registering, firmware bytes
 * leaving, campaign progress, errors) and alarms on an encrypted SNS topic for the states that
 * need a human (each has a runbook line in README, "Alarms"): no healthy edge, tasks missing, a
 * DTLS flood, an aborted campaign, failing workflow tasks, failed, timed-out or stopped executions,
 * API errors and throttles, DynamoDB throttling.
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
import { EdgePort } from './EdgeService.ts';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { FOTA_METRIC_SERVICE, FOTA_METRICS_NAMESPACE, FotaMetric } from '../../core/metrics.ts';

/** The custom metrics and their `service` dimension: core/metrics.ts, shared with the emitters. */
export { FOTA_METRICS_NAMESPACE, FotaMetric, FOTA_METRIC_SERVICE } from '../../core/metrics.ts';

/** The edge resources the dashboard and the unhealthy-edge alarm watch. */
export interface ObservedEdge {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly targetGroups: ReadonlyMap<number, elbv2.NetworkTargetGroup>;
  readonly service: ecs.FargateService;
}

/** The REST API: its 5xx answers and its function's throttles page. */
export interface ObservedApi {
  readonly httpApi: apigw.IHttpApi;
  readonly handler: lambda.IFunction;
}

export interface ObservabilityProps {
  /** Dashboard name prefix, e.g. `Fota-prod`. */
  readonly name: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly functions: readonly lambda.IFunction[];
  readonly edge: ObservedEdge;
  /** @default no API alarms */
  readonly api?: ObservedApi;
  /** Tables whose read or write throttling pages. @default none */
  readonly tables?: readonly dynamodb.ITable[];
  /** Address subscribed to the alarm topic by e-mail (it must confirm). @default no subscription */
  readonly alarmEmail?: string;
  /** DTLS handshakes refused a slot within 5 minutes that page (a flood, or too few tasks). @default 100 */
  readonly handshakesRejectedThreshold?: number;
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

    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const fiveMinutes = Duration.minutes(5);
    const atLeast = (threshold: number, evaluationPeriods = 1): Pick<cloudwatch.CreateAlarmOptions, 'threshold' | 'evaluationPeriods' | 'comparisonOperator' | 'treatMissingData'> => ({
      threshold,
      evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const { stateMachine } = props;
    const sum = { period: fiveMinutes, statistic: cloudwatch.Stats.SUM };
    const alarms = [
      ...this.noHealthyEdgeAlarms(props.edge),
      this.edgeTasksBelowDesiredAlarm(props.edge),
      this.customMetric(FotaMetric.HandshakesRejected, fiveMinutes).createAlarm(this, 'DtlsHandshakesRejected', {
        alarmDescription: 'The edge refused DTLS handshakes a slot (per-source or global limit on handshakes in progress): a handshake flood, or too few edge tasks for the devices reconnecting.',
        ...atLeast(props.handshakesRejectedThreshold ?? 100),
      }),
      this.customMetric(FotaMetric.CampaignsAborted, fiveMinutes).createAlarm(this, 'CampaignAborted', {
        alarmDescription: 'A campaign was aborted: its failure threshold was breached. Check the campaign report (fota campaign report) before relaunching.',
        ...atLeast(1),
      }),
      ...props.functions.map((fn) =>
        fn.metricErrors(sum).createAlarm(this, `${fn.node.id}Errors`, {
          alarmDescription: `Workflow task ${fn.node.id} failed; Step Functions retries, then marks the campaign failed.`,
          ...atLeast(1),
        }),
      ),
      stateMachine.metricFailed(sum).createAlarm(this, 'WorkflowExecutionsFailed', {
        alarmDescription: 'A campaign workflow execution failed: the campaign is marked failed and no further cohorts start.',
        ...atLeast(1),
      }),
      stateMachine.metricTimedOut(sum).createAlarm(this, 'WorkflowExecutionsTimedOut', {
        alarmDescription: 'A campaign workflow execution reached its 21-day timeout: the campaign stays in its last status with nobody driving it.',
        ...atLeast(1),
      }),
      stateMachine.metricAborted(sum).createAlarm(this, 'WorkflowExecutionsAborted', {
        alarmDescription: 'A campaign workflow execution was stopped from outside (StopExecution or the console): the campaign stays in its last status with nobody driving it.',
        ...atLeast(1),
      }),
      ...this.apiAlarms(props.api),
      ...(props.tables ?? []).map((table, i) => this.tableThrottleAlarm(table, i)),
    ];
    const action = new actions.SnsAction(this.alarmTopic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms = alarms;
    this.dashboard = this.createDashboard(props);
  }

  /**
   * One per target group: no healthy edge task behind a device port. HealthyHostCount, not
   * UnHealthyHostCount (which is 0 when no task is registered at all); missing data breaches.
   */
  private noHealthyEdgeAlarms(edge: ObservedEdge): cloudwatch.Alarm[] {
    return alwaysPresentTargetGroups(edge).map(([port, targetGroup]) =>
      targetGroup.metrics.healthyHostCount({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MINIMUM }).createAlarm(this, `EdgeNoHealthyHost${port}`, {
        alarmDescription: `No healthy edge task behind UDP ${port} for 3 minutes: devices cannot register or download.`,
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );
  }

  /** Fewer edge tasks running than the service wants, for 15 minutes (Container Insights). */
  private edgeTasksBelowDesiredAlarm(edge: ObservedEdge): cloudwatch.Alarm {
    const dimensionsMap = { ClusterName: edge.service.cluster.clusterName, ServiceName: edge.service.serviceName };
    const insight = (metricName: string): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace: 'ECS/ContainerInsights', metricName, dimensionsMap, statistic: cloudwatch.Stats.MINIMUM, period: Duration.minutes(5) });
    return new cloudwatch.MathExpression({
      expression: 'desired - running',
      usingMetrics: { desired: insight('DesiredTaskCount'), running: insight('RunningTaskCount') },
      label: 'Edge tasks missing',
      period: Duration.minutes(5),
    }).createAlarm(this, 'EdgeTasksBelowDesired', {
      alarmDescription: 'Fewer edge tasks run than desired for 15 minutes: tasks fail to start (image pull, health check, capacity) or crash.',
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  private apiAlarms(api: ObservedApi | undefined): cloudwatch.Alarm[] {
    if (api === undefined) return [];
    const period = Duration.minutes(5);
    return [
      api.httpApi.metricServerError({ period, statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'ApiServerErrors', {
        alarmDescription: 'The REST API answered 5xx at least 5 times in 5 minutes: operators and the CLI get errors.',
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      api.handler.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'ApiThrottles', {
        alarmDescription: 'The REST API function was throttled (its reserved concurrency is used up): requests fail with 5xx.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }

  /** Read or write throttle events on a table (on-demand tables throttle past their partition limits). */
  private tableThrottleAlarm(table: dynamodb.ITable, index: number): cloudwatch.Alarm {
    const metric = (metricName: string): cloudwatch.Metric => table.metric(metricName, { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });
    return new cloudwatch.MathExpression({
      expression: 'reads + writes',
      usingMetrics: { reads: metric('ReadThrottleEvents'), writes: metric('WriteThrottleEvents') },
      label: 'Throttle events',
      period: Duration.minutes(5),
    }).createAlarm(this, `TableThrottled${index}`, {
      alarmDescription: `DynamoDB throttled requests on table ${table.node.id}: writes of jobs or campaigns are retried and slow down.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** A metric of core/metrics.ts, under the `service` dimension its emitter writes. */
  private customMetric(metricName: FotaMetric, period = Duration.minutes(1)): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: FOTA_METRICS_NAMESPACE, metricName, dimensionsMap: { service: FOTA_METRIC_SERVICE[metricName] }, statistic: cloudwatch.Stats.SUM, period });
  }

  private createDashboard(props: ObservabilityProps): cloudwatch.Dashboard {
    const { edge, stateMachine, functions } = props;
    const targetGroups = alwaysPresentTargetGroups(edge);
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
      graph('DTLS handshakes', [
        this.customMetric(FotaMetric.HandshakesCompleted),
        this.customMetric(FotaMetric.HandshakesFailed),
        this.customMetric(FotaMetric.HandshakesRejected),
      ], 24),
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

/**
 * The CoAPS target group only: every stage has it, while the NoSec one exists only with
 * allowNoSec. Naming the NoSec group here would export it from the edge stack, and switching
 * allowNoSec off would then fail (an export in use). Both groups have the same tasks and the same
 * HTTP health check, so the CoAPS group's health is the edge's.
 */
function alwaysPresentTargetGroups(edge: ObservedEdge): [number, elbv2.NetworkTargetGroup][] {
  return [...edge.targetGroups].filter(([port]) => port === EdgePort.Coaps);
}
