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
  /** The operator cancelled it before the device answered (`DELETE /requests/{id}`). */
  Cancelled: 'CANCELLED',
  /**
   * The device acknowledged it (an empty ACK: the answer comes later, RFC 7252 §5.2.2) and never
   * answered within the separate-response wait, or it went unacknowledged on every attempt.
   */
  NoResponse: 'NO_RESPONSE',
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
  /**
   * Values the device sent that could not be decoded (e.g. a string resource that is not valid
   * UTF-8), by path, with their raw bytes; the rest of the reply stands in `values`.
   */
  readonly errors?: Readonly<Record<string, UndecodableValue>>;
}

/** A value of a reply that could not be decoded: why, and its bytes as hex. */
export interface UndecodableValue {
  readonly error: string;
  readonly hex: string;
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
  /** How many times it was sent to the device (each send is recorded before it goes out). */
  readonly attempts?: number;
}

/** Sends of a request the device never acknowledged before it ends as NO_RESPONSE. */
export const MAX_SEND_ATTEMPTS = 5;

/**
 * Operations that must never reach a device twice once it acknowledged one (Write, Create,
 * Execute, Write-Composite and every other POST or iPATCH, LwM2M 1.1 §5.4): the issue's
 * Write-Composite went out 62 times. Reads, Discover, Observe and Delete may be sent again.
 */
export function isNonIdempotent(operation: DeviceOperation): boolean {
  switch (operation.kind) {
    case 'write':
    case 'writeInstance':
    case 'execute':
    case 'create':
    case 'writeComposite':
    case 'writeAttributes':
      return true;
    default:
      return false;
  }
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
