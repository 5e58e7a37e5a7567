/**
 * Follow-up campaigns of a finished one (issue 16, item 4), pure: which devices a relaunch takes
 * again, and where a rollback takes each device it updated. The API turns each plan into new
 * campaigns through the same create path as any other (functions/api/followUpCampaigns.ts).
 */
import { JobStatus } from '../jobs/jobStateMachine.ts';
import { compareVersions } from './rollout.ts';

/** The part of a job a follow-up reads. */
export interface FollowUpJob {
  readonly endpoint: string;
  readonly status: JobStatus;
  readonly reason?: string;
  /** The firmware version the device reported when the campaign planned it. */
  readonly previousVersion?: string;
  /** The device model (`/3/0/1`) when the campaign planned it. */
  readonly model?: string;
}

/** Skip reasons a relaunch does not undo: the device does not need or cannot take the image. */
const GUARD_SKIPS: ReadonlySet<string> = new Set(['ALREADY_ON_TARGET_VERSION', 'INCOMPATIBLE_VERSION', 'INCOMPATIBLE_MODEL', 'UNKNOWN_MODEL', 'UNKNOWN_VERSION', 'DOWNGRADE_NOT_ALLOWED', 'VERSION_UNORDERED']);

/**
 * The endpoints a relaunch covers: those that failed, and unless `failedOnly` those the campaign
 * never reached (cancelled, never released, or held by another campaign: `DEVICE_BUSY`). Devices
 * that succeeded or that a guard skipped are left alone. Sorted, each once.
 */
export function relaunchEndpoints(jobs: readonly FollowUpJob[], failedOnly: boolean): string[] {
  const chosen = new Set<string>();
  for (const job of jobs) {
    if (job.status === JobStatus.Succeeded) continue;
    if (job.status === JobStatus.Skipped && GUARD_SKIPS.has(job.reason ?? '')) continue;
    if (failedOnly && job.status !== JobStatus.Failed) continue;
    chosen.add(job.endpoint);
  }
  return [...chosen].sort();
}

/** A stored image a rollback may use: verified, with its version and models. */
export interface RollbackImage {
  readonly imageId: string;
  readonly version: string;
  readonly models: readonly string[];
  readonly anyModel?: boolean;
  readonly createdAt: number;
}

/** One campaign of a rollback: the devices that go back to one image. */
export interface RollbackGroup {
  readonly imageId: string;
  readonly version: string;
  readonly endpoints: readonly string[];
}

/** Why a device the campaign updated is left out of its rollback. */
export type RollbackExclusionReason = 'PREVIOUS_VERSION_UNKNOWN' | 'NO_IMAGE_FOR_PREVIOUS_VERSION';

export interface RollbackPlan {
  readonly groups: readonly RollbackGroup[];
  readonly excluded: readonly { readonly endpoint: string; readonly previousVersion?: string; readonly reason: RollbackExclusionReason }[];
}

/**
 * Each device the campaign updated (SUCCEEDED) goes back to the version it ran before, with the
 * newest verified image of that version for its model (an `anyModel` image when none names it).
 * A device whose previous version was not recorded, or for which no such image is stored, is
 * named in `excluded` and left out. One group per image, images in version order.
 */
export function planRollback(jobs: readonly FollowUpJob[], images: readonly RollbackImage[]): RollbackPlan {
  const newestFirst = [...images].sort((a, b) => b.createdAt - a.createdAt);
  const byImage = new Map<string, { image: RollbackImage; endpoints: string[] }>();
  const excluded: RollbackPlan['excluded'][number][] = [];
  for (const job of jobs) {
    if (job.status !== JobStatus.Succeeded) continue;
    if (job.previousVersion === undefined) {
      excluded.push({ endpoint: job.endpoint, reason: 'PREVIOUS_VERSION_UNKNOWN' });
      continue;
    }
    const candidates = newestFirst.filter((image) => image.version === job.previousVersion);
    const image = candidates.find((c) => job.model !== undefined && c.models.includes(job.model)) ?? candidates.find((c) => c.anyModel === true);
    if (image === undefined) {
      excluded.push({ endpoint: job.endpoint, previousVersion: job.previousVersion, reason: 'NO_IMAGE_FOR_PREVIOUS_VERSION' });
      continue;
    }
    const group = byImage.get(image.imageId) ?? { image, endpoints: [] };
    group.endpoints.push(job.endpoint);
    byImage.set(image.imageId, group);
  }
  const groups = [...byImage.values()]
    .sort((a, b) => compareVersions(a.image.version, b.image.version))
    .map(({ image, endpoints }) => ({ imageId: image.imageId, version: image.version, endpoints: endpoints.sort() }));
  return { groups, excluded: excluded.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)) };
}
