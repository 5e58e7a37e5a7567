/**
 * The custom metrics of the system: names shared by the code that emits them (workflow functions,
 * edge) and the dashboard and alarms that read them (infra/constructs/Observability.ts). Emitted
 * in CloudWatch embedded metric format (EMF) on stdout, namespace `Fota`, one dimension `service`
 * naming the emitter, unit Count.
 */
export const FOTA_METRICS_NAMESPACE = 'Fota';

/** The value of the `service` dimension, per emitter. */
export const FotaMetricService = {
  Workflow: 'fota-workflow',
  Edge: 'fota-edge',
} as const;
export type FotaMetricService = (typeof FotaMetricService)[keyof typeof FotaMetricService];

export const FotaMetric = {
  /** Edge: one per accepted Register (not per Update). */
  Registrations: 'Registrations',
  /** Edge: one per Block2 response carrying firmware bytes. */
  BlocksServed: 'BlocksServed',
  /** Edge: one per conditional job state write that succeeded on the edge. */
  JobTransitions: 'JobTransitions',
  /** Edge: DTLS handshakes refused a slot (per-source or global limit on handshakes in progress). */
  HandshakesRejected: 'HandshakesRejected',
  /** Edge: DTLS handshakes that failed (alert or timeout). */
  HandshakesFailed: 'HandshakesFailed',
  /** Edge: DTLS handshakes that completed (full or resumed). */
  HandshakesCompleted: 'HandshakesCompleted',
  /** Workflow: one per campaign that ended ABORTED (its failure threshold was breached). */
  CampaignsAborted: 'CampaignsAborted',
} as const;
export type FotaMetric = (typeof FotaMetric)[keyof typeof FotaMetric];

/** Which emitter emits each metric: the `service` dimension an alarm or a widget must name. */
export const FOTA_METRIC_SERVICE: Readonly<Record<FotaMetric, FotaMetricService>> = {
  Registrations: FotaMetricService.Edge,
  BlocksServed: FotaMetricService.Edge,
  JobTransitions: FotaMetricService.Edge,
  HandshakesRejected: FotaMetricService.Edge,
  HandshakesFailed: FotaMetricService.Edge,
  HandshakesCompleted: FotaMetricService.Edge,
  CampaignsAborted: FotaMetricService.Workflow,
};

/** The edge's metrics, which it counts and flushes periodically. */
export const EDGE_METRICS = (Object.keys(FOTA_METRIC_SERVICE) as FotaMetric[]).filter((metric) => FOTA_METRIC_SERVICE[metric] === FotaMetricService.Edge);
