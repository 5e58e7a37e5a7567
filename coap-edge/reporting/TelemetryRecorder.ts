/**
 * Information Reporting (LwM2M 1.1 §6.4) lands here: values from Send and from notifications are
 * stored as telemetry, then published as events. The store write is the record (a failed write
 * fails the Send, so the device sends again); a failed publish is logged and not retried.
 */
import { toTelemetrySamples, type TelemetrySample, type TelemetrySource } from '../../core/devices/Telemetry.ts';
import type { TimedEntry } from '../../core/codecs/senmlPaths.ts';
import type { TelemetryStore } from '../../core/ports/TelemetryStore.ts';
import type { EventPublisher } from '../../core/ports/EventPublisher.ts';
import type { Logger } from '../logger.ts';

/** Event detail-types, public contract for subscribers (EventBridge rules). */
export const TelemetryEventType = {
  Send: 'lwm2m.send',
  Notification: 'lwm2m.notification',
} as const;

export interface TelemetryRecorderOptions {
  readonly telemetry: TelemetryStore;
  readonly events: EventPublisher;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export class TelemetryRecorder {
  private readonly now: () => number;

  constructor(private readonly options: TelemetryRecorderOptions) {
    this.now = options.clock ?? Date.now;
  }

  async record(endpoint: string, entries: readonly TimedEntry[], source: TelemetrySource): Promise<TelemetrySample[]> {
    const samples = toTelemetrySamples(endpoint, entries, source, this.now());
    if (samples.length === 0) return samples;
    await this.options.telemetry.append(samples);
    try {
      await this.options.events.publish({
        type: source === 'SEND' ? TelemetryEventType.Send : TelemetryEventType.Notification,
        detail: { endpoint, values: samples.map(({ path, at, value }) => ({ path, at, value })) },
      });
    } catch (error) {
      this.options.logger.warn('telemetry event not published', { endpoint, source, error });
    }
    return samples;
  }
}
