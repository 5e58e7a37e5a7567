/**
 * Where the values devices report (notifications, Send) are kept. Implemented by
 * store/DynamoDbTelemetryStore.ts.
 */
import type { TelemetrySample } from '../devices/Telemetry.ts';

/** Values devices reported (Send, notifications): appended by the edge, read by the API. */
export interface TelemetryStore {
  /** Stores samples; a repeated sample (same endpoint, time and path) overwrites itself. */
  append(samples: readonly TelemetrySample[]): Promise<void>;
  /** A device's latest samples, newest first. */
  latest(endpoint: string, limit: number): Promise<TelemetrySample[]>;
}
