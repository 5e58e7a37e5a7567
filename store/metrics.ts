/**
 * The one writer of custom metrics, for the workflow functions and the edge: Powertools Metrics,
 * which prints one EMF document per flush on stdout; CloudWatch Logs (Lambda, and the awslogs
 * driver on Fargate) turns it into metrics. Names: core/metrics.ts.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FOTA_METRICS_NAMESPACE, type FotaMetric, type FotaMetricService } from '../core/metrics.ts';

export interface MetricsSink {
  /** Emits these counts now, as one EMF document. Zero counts are emitted too (alarms see data). */
  count(counts: Partial<Readonly<Record<FotaMetric, number>>>): void;
}

export function emfMetricsSink(service: FotaMetricService): MetricsSink {
  const metrics = new Metrics({ namespace: FOTA_METRICS_NAMESPACE, serviceName: service });
  return {
    count(counts) {
      const entries = Object.entries(counts);
      if (entries.length === 0) return;
      for (const [name, value] of entries) metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    },
  };
}
