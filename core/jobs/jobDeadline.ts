import type { FirmwareJob } from './FirmwareJob.ts';
import { JobStatus } from './jobStateMachine.ts';

/**
 * Why a job is past its deadline, if it is: the download deadline for a job not downloaded yet,
 * the install deadline once the install was requested. A DOWNLOADED job whose install was not
 * requested waits for the install phase, not on its old download deadline. The edge (each poll)
 * and the workflow's monitor apply this same rule.
 */
export function deadlineReason(job: FirmwareJob, now: number): 'DOWNLOAD_TIMEOUT' | 'INSTALL_TIMEOUT' | undefined {
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
