/**
 * Turns the edge's cumulative counters into metrics: every interval, the increase of each since the
 * last flush, as one EMF document (store/metrics.ts), zeros included so that alarms see data while
 * the edge is quiet. Off the per-datagram path: the hot path only increments counters.
 */
import { EDGE_METRICS, type FotaMetric } from '../../core/metrics.ts';
import type { MetricsSink } from '../../store/metrics.ts';

export type EdgeMetricCounts = Readonly<Record<FotaMetric, number>>;

export class EdgeMetricsReporter {
  private last: Partial<Record<FotaMetric, number>> = {};
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Partial<EdgeMetricCounts>,
    private readonly sink: MetricsSink,
  ) {}

  /** Flushes every `intervalMs`; the timer never keeps the process alive. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Emits the increase of every edge metric since the previous flush; returns it. */
  flush(): Partial<Record<FotaMetric, number>> {
    const now = this.read();
    const delta: Partial<Record<FotaMetric, number>> = {};
    for (const metric of EDGE_METRICS) {
      const value = now[metric] ?? 0;
      delta[metric] = Math.max(0, value - (this.last[metric] ?? 0));
      this.last[metric] = value;
    }
    this.sink.count(delta);
    return delta;
  }
}
