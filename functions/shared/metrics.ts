/** The workflow functions' metrics sink, created once per process (STYLE.md §8). */
import { FotaMetricService } from '../../core/metrics.ts';
import { emfMetricsSink, type MetricsSink } from '../../store/metrics.ts';

let sink: MetricsSink | undefined;

export function handlerMetrics(): MetricsSink {
  sink ??= emfMetricsSink(FotaMetricService.Workflow);
  return sink;
}

/** For tests: record metrics here instead of printing EMF. */
export function useHandlerMetrics(value: MetricsSink | undefined): void {
  sink = value;
}
