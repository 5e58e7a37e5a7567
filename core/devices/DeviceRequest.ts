/**
 * A Device Management request addressed to one device, held in the store until the edge task
 * that owns the device sends it (at once, or when a queue-mode device next wakes up), so a
 * command to a sleeping device is never dropped and survives an edge restart.
 */
export type DeviceOperation =
  | { readonly kind: 'read'; readonly path: string }
  | { readonly kind: 'discover'; readonly path: string }
  | { readonly kind: 'write'; readonly path: string; readonly value: string | number | boolean; readonly replace?: boolean }
  /**
   * Write on an Object Instance (LwM2M 1.1 §5.4.3): partial update (POST) by default, replace
   * (PUT) with `replace: true`. `values` are keyed by resource id relative to the instance
   * ("5750", or "6/0" for a resource instance).
   */
  | { readonly kind: 'writeInstance'; readonly path: string; readonly values: Readonly<Record<string, JsonResourceValue>>; readonly replace?: boolean }
  /** Execute (§5.4.5) with optional arguments, e.g. `0='fast',1`. */
  | { readonly kind: 'execute'; readonly path: string; readonly args?: string }
  | { readonly kind: 'writeAttributes'; readonly path: string; readonly attributes: Readonly<Record<string, number>> }
  /** Create (§5.4.6): POST on an object; without `instanceId` the client picks the id. */
  | { readonly kind: 'create'; readonly path: string; readonly instanceId?: number; readonly values: Readonly<Record<string, JsonResourceValue>> }
  | { readonly kind: 'delete'; readonly path: string }
  | { readonly kind: 'observe'; readonly path: string }
  | { readonly kind: 'cancelObservation'; readonly path: string }
  /** Read-Composite (1.1 §5.4.8): FETCH on the root with the paths as a SenML payload. */
  | { readonly kind: 'readComposite'; readonly paths: readonly string[] }
  /** Write-Composite (1.1 §5.4.9): iPATCH on the root; `values` keyed by absolute path. */
  | { readonly kind: 'writeComposite'; readonly values: Readonly<Record<string, JsonResourceValue>> }
  /** Observe-Composite (1.1 §5.5.3): FETCH with Observe 0 on the root. */
  | { readonly kind: 'observeComposite'; readonly paths: readonly string[] }
  | { readonly kind: 'cancelObservationComposite'; readonly paths: readonly string[] };

export type DeviceOperationKind = DeviceOperation['kind'];

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
  /** Where Create put the new instance (its Location-Path), e.g. "/3303/1". */
  readonly location?: string;
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

/**
 * Whether the edge may send to the device now: its registered address is still its own (no other
 * endpoint registered from it since the device last spoke, see `addressTakenAt`) and, in queue
 * mode, it spoke within the awake window (LwM2M 1.1 §6.5).
 */
export function isAwake(device: { readonly queueMode: boolean; readonly lastSeen: number; readonly addressTakenAt?: number }, now: number, awakeMs = QUEUE_MODE_AWAKE_MS): boolean {
  if (device.addressTakenAt !== undefined && device.addressTakenAt >= device.lastSeen) return false;
  return !device.queueMode || now - device.lastSeen < awakeMs;
}
