/**
 * What a device's object 5 instance says about a job (OMA object 5 v1.1; shared/LWM2M.md): the
 * resources the executor reads, decoded from one Read of /5/0, and the verdict that State and
 * Update Result give in each phase. Pure, so every Update Result is covered by unit tests.
 */
import type { LwM2mEntry } from '../codecs/model.ts';
import { FirmwareResource, FirmwareUpdateResult, FirmwareUpdateState, updateResultReason } from '../lwm2m/firmwareUpdate.ts';

/** Object 5 instance 0 as read from a device; resources it does not have are undefined. */
export interface FirmwareObjectSnapshot {
  readonly state?: number;
  readonly updateResult?: number;
  /** Instances of /5/0/8. */
  readonly protocols?: readonly number[];
  readonly deliveryMethod?: number;
  /** /5/0/12 (v1.1), epoch milliseconds. */
  readonly lastStateChangeTime?: number;
}

/** Decodes the entries of a Read of /5/0 (or of single resources of it). */
export function firmwareObjectSnapshot(entries: readonly LwM2mEntry[]): FirmwareObjectSnapshot {
  let state: number | undefined;
  let updateResult: number | undefined;
  let deliveryMethod: number | undefined;
  let lastStateChangeTime: number | undefined;
  const protocols: number[] = [];
  for (const { path, value } of entries) {
    if (path.objectId !== 5 || path.instanceId !== 0) continue;
    const number = asNumber(value);
    switch (path.resourceId) {
      case FirmwareResource.State:
        state = number;
        break;
      case FirmwareResource.UpdateResult:
        updateResult = number;
        break;
      case FirmwareResource.ProtocolSupport:
        if (number !== undefined) protocols.push(number);
        break;
      case FirmwareResource.DeliveryMethod:
        deliveryMethod = number;
        break;
      case FirmwareResource.LastStateChangeTime:
        lastStateChangeTime = value instanceof Date ? value.getTime() : number === undefined ? undefined : number * 1000;
        break;
      default:
        break;
    }
  }
  return {
    ...(state === undefined ? {} : { state }),
    ...(updateResult === undefined ? {} : { updateResult }),
    ...(protocols.length === 0 ? {} : { protocols }),
    ...(deliveryMethod === undefined ? {} : { deliveryMethod }),
    ...(lastStateChangeTime === undefined ? {} : { lastStateChangeTime }),
  };
}

/** What State and Update Result mean for the job. */
export type FirmwareVerdict =
  | { readonly kind: 'inProgress' }
  | { readonly kind: 'downloaded' }
  /** Result 1 without a reboot: read the version back. */
  | { readonly kind: 'updated' }
  /** Result 11: the device postponed the update and stays Downloaded. */
  | { readonly kind: 'deferred' }
  /** Result 10: the download was cancelled on the device. */
  | { readonly kind: 'cancelled'; readonly updateResult: number }
  | { readonly kind: 'failed'; readonly reason: string; readonly updateResult: number };

const IN_PROGRESS: FirmwareVerdict = { kind: 'inProgress' };

/** Result 2..9 (and any code the spec does not know) is a failure with its named reason. */
function isFailure(result: number | undefined): result is number {
  return result !== undefined && result >= FirmwareUpdateResult.NotEnoughFlash && result !== FirmwareUpdateResult.Cancelled && result !== FirmwareUpdateResult.Deferred;
}

/**
 * During the download: Downloaded means done; Idle with result 2..9 means the download failed
 * (object 5: "Idle with result 2..9"), with 10 that it was cancelled. Idle with 0 or 1 is the
 * moment between the write and the device starting, so it means nothing yet.
 */
export function downloadVerdict(snapshot: Pick<FirmwareObjectSnapshot, 'state' | 'updateResult'>): FirmwareVerdict {
  const { state, updateResult } = snapshot;
  if (state === FirmwareUpdateState.Downloaded) return { kind: 'downloaded' };
  if (state !== FirmwareUpdateState.Idle) return IN_PROGRESS;
  if (updateResult === FirmwareUpdateResult.Cancelled) return { kind: 'cancelled', updateResult };
  if (isFailure(updateResult)) return { kind: 'failed', reason: updateResultReason(updateResult), updateResult };
  return IN_PROGRESS;
}

/**
 * After Execute Update: Updating is in progress; back in Downloaded with 11 the device deferred;
 * Downloaded or Idle with 2..9 the update failed; Idle with 1 it updated without a reboot; a
 * cancel (10) at this point is a failure too, since the job cannot return to before the install.
 */
export function installVerdict(snapshot: Pick<FirmwareObjectSnapshot, 'state' | 'updateResult'>): FirmwareVerdict {
  const { state, updateResult } = snapshot;
  if (state === FirmwareUpdateState.Updating || state === undefined) return IN_PROGRESS;
  if (updateResult === FirmwareUpdateResult.Deferred && state === FirmwareUpdateState.Downloaded) return { kind: 'deferred' };
  if (updateResult === FirmwareUpdateResult.Cancelled) return { kind: 'failed', reason: updateResultReason(updateResult), updateResult };
  if (isFailure(updateResult)) return { kind: 'failed', reason: updateResultReason(updateResult), updateResult };
  if (updateResult === FirmwareUpdateResult.Success && state === FirmwareUpdateState.Idle) return { kind: 'updated' };
  return IN_PROGRESS;
}

/** The device's Last State Change Time (/5/0/12) as a job attribute, when it has the resource. */
export function changeTimeOf(snapshot: Pick<FirmwareObjectSnapshot, 'lastStateChangeTime'>): { readonly lastStateChangeTime?: number } {
  return snapshot.lastStateChangeTime === undefined ? {} : { lastStateChangeTime: snapshot.lastStateChangeTime };
}

/**
 * After Execute Update: the device is still Downloaded and its Update Result still Initial, so
 * the Execute never reached it (once received, the state leaves Downloaded or a result is set).
 */
export function executeWasLost(snapshot: Pick<FirmwareObjectSnapshot, 'state' | 'updateResult'>): boolean {
  return snapshot.state === FirmwareUpdateState.Downloaded && (snapshot.updateResult === undefined || snapshot.updateResult === FirmwareUpdateResult.Initial);
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}
