/**
 * A Device Management request addressed to one device, held in the store until the edge task
 * that owns the device sends it (at once, or when a queue-mode device next wakes up), so a
 * command to a sleeping device is never dropped and survives an edge restart.
 */
export type DeviceOperation =
  | { readonly kind: 'read'; readonly path: string }
  | { readonly kind: 'discover'; readonly path: string }
  | { readonly kind: 'write'; readonly path: string; readonly value: string | number | boolean; readonly replace?: boolean }
  | { readonly kind: 'execute'; readonly path: string; readonly args?: string }
  | { readonly kind: 'writeAttributes'; readonly path: string; readonly attributes: Readonly<Record<string, number>> }
  | { readonly kind: 'delete'; readonly path: string }
  | { readonly kind: 'observe'; readonly path: string }
  | { readonly kind: 'cancelObservation'; readonly path: string };

export const DeviceRequestStatus = {
  Pending: 'PENDING',
  Done: 'DONE',
  Failed: 'FAILED',
  Expired: 'EXPIRED',
} as const;
export type DeviceRequestStatus = (typeof DeviceRequestStatus)[keyof typeof DeviceRequestStatus];

/** JSON form of decoded resource values: bytes as base64, times as ISO strings, links as "3:0". */
export type JsonResourceValue = string | number | boolean | { readonly base64: string };

export interface DeviceRequestResult {
  /** The CoAP response code the device answered, e.g. "2.05" or "4.04". */
  readonly code: string;
  readonly values?: Readonly<Record<string, JsonResourceValue>>;
  readonly contentFormat?: number;
  readonly linkFormat?: string;
  readonly error?: string;
}

export interface DeviceRequest {
  readonly requestId: string;
  readonly endpoint: string;
  readonly operation: DeviceOperation;
  readonly status: DeviceRequestStatus;
  /** The edge task to send it; claimed by whichever task hears from the device next. */
  readonly ownerTask: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly completedAt?: number;
  readonly result?: DeviceRequestResult;
}

/** How long a queue-mode device stays reachable after it spoke (LwM2M 1.1 §6.5: MAX_TRANSMIT_WAIT, 93 s). */
export const QUEUE_MODE_AWAKE_MS = 93_000;

export function isAwake(device: { readonly queueMode: boolean; readonly lastSeen: number }, now: number, awakeMs = QUEUE_MODE_AWAKE_MS): boolean {
  return !device.queueMode || now - device.lastSeen < awakeMs;
}
