import type { FirmwareJob } from './FirmwareJob.ts';
import { JobStatus } from './jobStateMachine.ts';

/**
 * Why a job is past its deadline, if it is: the download deadline for a job not downloaded yet,
 * the install deadline once the install began. A DOWNLOADED job waits for its cohort's install
 * request, not on its old download deadline: its install deadline, when its cohort's request is
 * in force and its window open, is `installDeadline` (core/jobs/cohortInstall.ts). The edge (each
 * poll) and the workflow's monitor apply this same rule.
 */
export function deadlineReason(job: Pick<FirmwareJob, 'status' | 'deadline'>, now: number, installDeadline?: number): 'DOWNLOAD_TIMEOUT' | 'INSTALL_TIMEOUT' | undefined {
  if (job.status === JobStatus.Downloaded) return installDeadline !== undefined && installDeadline < now ? 'INSTALL_TIMEOUT' : undefined;
  if (job.deadline === undefined || job.deadline >= now) return undefined;
  switch (job.status) {
    case JobStatus.Ready:
    case JobStatus.Downloading:
      return 'DOWNLOAD_TIMEOUT';
    case JobStatus.Updating:
    case JobStatus.Verifying:
      return 'INSTALL_TIMEOUT';
    default:
      return undefined;
  }
}

/**
 * Whether a failed attempt may be retried from the start (a new download, a new Execute Update).
 * Before the install began (the job never reached UPDATING) it may. After it, only when the device
 * gave a verdict of its own that it did not install (an Update Result 2..9 after the Execute): a
 * timeout, a lost re-registration or a read that went unanswered leaves the outcome unknown, and
 * the device may well run the new image; telling it to install again would break the promise that
 * nobody is told to install twice (lossyNetwork.test.ts found exactly that: an update applied, its
 * read-back lost, DEVICE_TIMEOUT retried, the image installed a second time).
 */
export function mayRetryFromStart(job: Pick<FirmwareJob, 'history' | 'updateResult'>): boolean {
  const installStarted = job.history.some((entry) => entry.to === JobStatus.Updating);
  if (!installStarted) return true;
  return job.updateResult !== undefined && job.updateResult > 1;
}
