/**
 * Cancels a job that has not started to install (object 5 v1.1): Execute /5/0/10 on the device,
 * or, when it has no Cancel (4.04/4.05), write an empty Package URI (an empty Package for a push),
 * which resets object 5 to Idle; then the job goes CANCELLED. A device that cannot be reached is
 * not waited for: its token stops working, and nothing installs without Execute.
 */
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus, canApply } from '../../core/jobs/jobStateMachine.ts';
import type { ActiveJobs } from './ActiveJobs.ts';
import { cancelOnDevice, type DeviceCancel } from './deviceFirmware.ts';
import type { ExecutorSettings } from './executorSettings.ts';
import type { JobSteps } from './JobSteps.ts';
import type { PackageDelivery } from './PackageDelivery.ts';
import type { StepRunner } from './StepRunner.ts';

export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly job: FirmwareJob; readonly device: DeviceCancel }
  /** The job is past the point of no return (UPDATING or later) or already ended. */
  | { readonly kind: 'notCancellable'; readonly status: JobStatus }
  | { readonly kind: 'notFound' };

/** Attempts of the cancel's conditional write against steps that move the job meanwhile. */
const CANCEL_ATTEMPTS = 3;

export class JobCancellation {
  constructor(
    private readonly settings: ExecutorSettings,
    private readonly steps: JobSteps,
    private readonly active: ActiveJobs,
    private readonly runner: StepRunner,
    private readonly delivery: Pick<PackageDelivery, 'abortPush'>,
  ) {}

  async cancelDownload(job: FirmwareJob, reason: string): Promise<CancelOutcome> {
    const { jobs } = this.settings;
    this.delivery.abortPush(job);
    this.active.forget(job);
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      const latest = await jobs.get(job.campaignId, job.jobKey);
      if (latest === undefined) return { kind: 'notFound' };
      if (!canApply(latest.status, 'cancelled')) return { kind: 'notCancellable', status: latest.status };
      // Keep the executor's own steps off the job meanwhile (its notifications, its tick).
      const release = this.runner.hold(job);
      try {
        const device = latest.status === JobStatus.Downloading || latest.status === JobStatus.Downloaded ? await this.cancelOnDevice(latest) : 'notContacted';
        const cancelled = await this.steps.transition(latest, { kind: 'cancelled', reason });
        if (cancelled !== undefined) return { kind: 'cancelled', job: cancelled, device };
      } finally {
        release();
      }
    }
    const latest = await jobs.get(job.campaignId, job.jobKey);
    return latest === undefined ? { kind: 'notFound' } : { kind: 'notCancellable', status: latest.status };
  }

  private async cancelOnDevice(job: FirmwareJob): Promise<DeviceCancel> {
    const device = await this.steps.reachableDevice(job);
    if (device === undefined) return 'notContacted';
    try {
      return await cancelOnDevice(this.settings.devices, device, job.delivery);
    } catch (error) {
      this.settings.logger.warn('cancel did not reach the device', { endpoint: job.endpoint, error });
      return 'notContacted';
    }
  }
}
