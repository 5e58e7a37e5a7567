/**
 * Why a job failed: an object 5 Update Result name (the device's own verdict), or one of the
 * orchestrator's reasons (the edge's and the workflow's). These strings are stored in job records,
 * counted per cohort, used as metric dimensions, and are the public keys of a campaign's `retry`
 * and `abort.byReason`: a new reason is added here, where the API schema reads them.
 */
import { UPDATE_RESULT_NAMES, type UpdateResultName } from '../lwm2m/firmwareUpdate.ts';

/** The orchestrator's own failure reasons. */
const ORCHESTRATOR_FAILURE_REASONS = [
  /** A request to the device went unanswered (every retransmission). */
  'DEVICE_TIMEOUT',
  /** A request to the device failed for another reason (the peer moved, no DTLS session...). */
  'DEVICE_ERROR',
  /** The job's deadlines (core/jobs/jobDeadline.ts). */
  'DOWNLOAD_TIMEOUT',
  'INSTALL_TIMEOUT',
  /** The image's bytes changed after verification / the image is missing or unverified. */
  'IMAGE_TAMPERED',
  'IMAGE_UNAVAILABLE',
  /** The device went back to Idle before the install, its package gone. */
  'PACKAGE_LOST',
  /** A push-only device takes fewer bytes than the image (4.13 with Size1). */
  'PACKAGE_TOO_LARGE',
  /** The device refused every Package URI on offer. */
  'PACKAGE_URI_REJECTED',
  /** A pushed block went missing on the device (4.08) / the device refused the push. */
  'PUSH_INCOMPLETE',
  'PUSH_REFUSED',
  /** The device deferred the update more often than the campaign allows. */
  'UPDATE_DEFERRED',
  /** The device refused Execute Update. */
  'UPDATE_REFUSED',
  /** After the install the device reports another version than the image's, with no Update Result of its own. */
  'VERSION_MISMATCH',
] as const;
type OrchestratorFailureReason = (typeof ORCHESTRATOR_FAILURE_REASONS)[number];

/** An Update Result code the spec does not know, kept with its number. */
type UnknownUpdateResultReason = `UNKNOWN_RESULT_${number}`;

export type FailureReason = UpdateResultName | UnknownUpdateResultReason | OrchestratorFailureReason;

/** The reasons a campaign may name in `retry` and `abort.byReason`, in the API schema's order. */
export const FAILURE_REASONS: readonly [FailureReason, ...FailureReason[]] = [...UPDATE_RESULT_NAMES, ...ORCHESTRATOR_FAILURE_REASONS];

const KNOWN = new Set<string>(FAILURE_REASONS);

/** A stored reason read back (a job record is not validated): a failure reason, or not. */
export function isFailureReason(value: string | undefined): value is FailureReason {
  return value !== undefined && (KNOWN.has(value) || /^UNKNOWN_RESULT_-?\d+$/.test(value));
}
