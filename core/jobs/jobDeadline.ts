import type { FirmwareJob } from './FirmwareJob.ts';
import { JobStatus } from './jobStateMachine.ts';

/**
 * Why a job is past its deadline, if it is: the download deadline for a job not downloaded yet,
 * the install deadline once the install was requested. A DOWNLOADED job whose install was not
 * requested waits for the install phase, not on its old download deadline. The edge (each poll)
 * and the workflow's monitor apply this same rule.
 */
export function deadlineReason(job: Pick<FirmwareJob, 'status' | 'deadline' | 'installRequested'>, now: number): 'DOWNLOAD_TIMEOUT' | 'INSTALL_TIMEOUT' | undefined {
  if (job.deadline === undefined || job.deadline >= now) return undefined;
  switch (job.status) {
    case JobStatus.Ready:
    case JobStatus.Downloading:
      return 'DOWNLOAD_TIMEOUT';
    case JobStatus.Downloaded:
      return job.installRequested === true ? 'INSTALL_TIMEOUT' : undefined;
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
