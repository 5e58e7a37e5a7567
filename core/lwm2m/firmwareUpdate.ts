/** Object 5 Firmware Update constants (OMA registry object 5 v1.1; see shared/LWM2M.md). */

/** Resource 3 State. */
export enum FirmwareUpdateState {
  Idle = 0,
  Downloading = 1,
  Downloaded = 2,
  Updating = 3,
}

/** Resource 5 Update Result; 10 and 11 exist from object version 1.1. */
export enum FirmwareUpdateResult {
  Initial = 0,
  Success = 1,
  NotEnoughFlash = 2,
  OutOfRam = 3,
  ConnectionLost = 4,
  IntegrityCheckFailure = 5,
  UnsupportedPackageType = 6,
  InvalidUri = 7,
  UpdateFailed = 8,
  UnsupportedProtocol = 9,
  Cancelled = 10,
  Deferred = 11,
}

/** Resource 8 Firmware Update Protocol Support instance values. */
export enum FirmwareUpdateProtocol {
  CoAP = 0,
  CoAPS = 1,
  HTTP = 2,
  HTTPS = 3,
  CoAPTCP = 4,
  CoAPTLS = 5,
}

/** Resource 9 Firmware Update Delivery Method. */
export enum FirmwareDeliveryMethod {
  Pull = 0,
  Push = 1,
  Both = 2,
}

/** Resource ids of object 5. */
export const FirmwareResource = {
  Package: 0,
  PackageUri: 1,
  Update: 2,
  State: 3,
  UpdateResult: 5,
  PkgName: 6,
  PkgVersion: 7,
  ProtocolSupport: 8,
  DeliveryMethod: 9,
  Cancel: 10,
  Severity: 11,
  LastStateChangeTime: 12,
  MaximumDeferPeriod: 13,
} as const;
export type FirmwareResource = (typeof FirmwareResource)[keyof typeof FirmwareResource];

/** The Firmware Update instance the orchestrator drives: a device has one, instance 0. */
export const FIRMWARE_INSTANCE_PATH = '/5/0';

/** The path of each resource of `/5/0`, from its id: `FirmwarePath.PackageUri` is `'/5/0/1'`. */
export const FirmwarePath = Object.fromEntries(Object.entries(FirmwareResource).map(([name, id]) => [name, `${FIRMWARE_INSTANCE_PATH}/${id}`])) as {
  readonly [Name in keyof typeof FirmwareResource]: `/5/0/${(typeof FirmwareResource)[Name]}`;
};

// Spelled out rather than derived from enum keys: these strings are stored in job records and
// used as metric dimensions, so renaming an enum member must not change them.
/** The names of the Update Results, in code order (index = code). */
export const UPDATE_RESULT_NAMES = [
  'INITIAL',
  'SUCCESS',
  'NOT_ENOUGH_FLASH',
  'OUT_OF_RAM',
  'CONNECTION_LOST',
  'INTEGRITY_CHECK_FAILURE',
  'UNSUPPORTED_PACKAGE_TYPE',
  'INVALID_URI',
  'UPDATE_FAILED',
  'UNSUPPORTED_PROTOCOL',
  'CANCELLED',
  'DEFERRED',
] as const satisfies { readonly length: 12 }; // codes 0..FirmwareUpdateResult.Deferred
export type UpdateResultName = (typeof UPDATE_RESULT_NAMES)[number];

/** Stable SCREAMING_SNAKE name of an Update Result, e.g. 5 -> `INTEGRITY_CHECK_FAILURE`. */
export function updateResultReason(result: number): UpdateResultName | `UNKNOWN_RESULT_${number}` {
  return (Number.isInteger(result) ? UPDATE_RESULT_NAMES[result] : undefined) ?? `UNKNOWN_RESULT_${result}`;
}
