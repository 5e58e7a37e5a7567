/**
 * Information Reporting (LwM2M 1.1 §6.4) as stored: one sample per resource value a device
 * reported, by Send (`/dp`) or in a notification of an observation. Samples of a device sort by
 * the time they were measured (the SenML time when the device gave one, else the time the edge
 * received them), so "latest first" is one Query in descending key order.
 */
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { ResourceValue } from '../codecs/model.ts';
import type { JsonResourceValue } from './DeviceRequest.ts';
import { toJsonValue } from './jsonValues.ts';

export const TelemetrySource = {
  Send: 'SEND',
  Notification: 'NOTIFICATION',
} as const;
export type TelemetrySource = (typeof TelemetrySource)[keyof typeof TelemetrySource];

export interface TelemetrySample {
  readonly endpoint: string;
  /** `<at, zero-padded>#<path>`: the sort key, unique per measured value. */
  readonly sampleKey: string;
  readonly path: string;
  /** When the value was measured (epoch ms). */
  readonly at: number;
  readonly receivedAt: number;
  readonly value: JsonResourceValue;
  readonly source: TelemetrySource;
}

/** 15 digits keep epoch milliseconds in string order until the year 33658. */
export function telemetrySampleKey(at: number, path: string): string {
  return `${String(Math.max(0, Math.trunc(at))).padStart(15, '0')}#${path}`;
}

export function toTelemetrySamples(
  endpoint: string,
  entries: readonly { readonly path: LwM2mPath; readonly value: ResourceValue; readonly time?: number }[],
  source: TelemetrySource,
  receivedAt: number,
): TelemetrySample[] {
  return entries.map((entry) => {
    const at = entry.time ?? receivedAt;
    const path = entry.path.toString();
    return { endpoint, sampleKey: telemetrySampleKey(at, path), path, at, receivedAt, value: toJsonValue(entry.value), source };
  });
}
