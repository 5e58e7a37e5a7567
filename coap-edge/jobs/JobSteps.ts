/**
 * What every step of a job does the same way, whichever phase it drives: find the device when this
 * task can reach it (else hand the job to the task that can), read and observe object 5, and write
 * the job's transitions (a failure, a retry with back-off, a deadline), each a conditional write.
 */
import type { FailureReason } from '../../core/jobs/failureReason.ts';
import type { FirmwareObjectSnapshot } from '../../core/firmware/firmwareProgress.ts';
import { isRegistrationAlive, type DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { isAwake } from '../../core/devices/DeviceRequest.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus, eventsOf, isAttemptOver, type JobEvents } from '../../core/jobs/jobStateMachine.ts';
import type { TransitionExtras } from '../../core/ports/JobStore.ts';
import type { ActiveJob, ActiveJobs } from './ActiveJobs.ts';
import { readFirmwareObject } from './deviceFirmware.ts';
import type { ExecutorSettings } from './executorSettings.ts';
import type { PackageDelivery } from './PackageDelivery.ts';
import type { ExecutorStats, StepRunner } from './StepRunner.ts';

/** Why a job failed, as the step that saw it knows it. */
export interface JobFailure {
  readonly reason: FailureReason;
  readonly updateResult?: number;
  readonly detail?: string;
  /** The version the device reported in /3/0/3, when it told one. */
  readonly reportedVersion?: string;
}

export class JobSteps {
  constructor(
    private readonly settings: ExecutorSettings,
    private readonly active: ActiveJobs,
    private readonly runner: StepRunner,
    private readonly delivery: Pick<PackageDelivery, 'abortPush'>,
    private readonly stats: ExecutorStats,
  ) {}

  /** The device's registration when this task can reach it now; else the job is handed over. */
  async reachableDevice(job: FirmwareJob): Promise<DeviceRegistration | undefined> {
    const { registrations, jobs, now, queueModeAwakeMs, taskId } = this.settings;
    const device = await registrations.getWithoutTags(job.endpoint);
    // A queue-mode device is reachable only while awake; its next Update brings the job back here.
    if (device === undefined || !isRegistrationAlive(device, now()) || !isAwake(device, now(), queueModeAwakeMs)) return undefined;
    if (device.ownerTask !== taskId) {
      // Only the task that last heard from the device can reach it through the NLB: hand over.
      await jobs.claim(job, device.ownerTask);
      return undefined;
    }
    return device;
  }

  readFirmware(device: DeviceRegistration): Promise<FirmwareObjectSnapshot> {
    return readFirmwareObject(this.settings.devices, device);
  }

  /**
   * Observes a resource of object 5 for the active job; a notification that `matters` makes
   * `onChange` run as a step of the job (at once, or on the next tick if a step of it is running).
   */
  async observe(entry: ActiveJob, device: DeviceRegistration, path: string, matters: (value: unknown) => boolean, onChange: () => Promise<void>): Promise<void> {
    try {
      entry.observation = await this.settings.devices.observe(device, path, (value) => {
        if (!matters(value) || !this.active.isCurrent(entry)) return;
        if (!entry.accepting) {
          // News before the step that set the observation up is done: read the state after it.
          entry.recheck = true;
          return;
        }
        this.runner.settle(
          this.runner.run(entry.job, onChange).then((ran) => {
            if (!ran) entry.recheck = true;
          }),
          `notification of ${path}`,
        );
      });
      // The job moved on (or was forgotten) while the observation was being set up.
      if (!this.active.isCurrent(entry)) entry.observation.cancel();
    } catch (error) {
      this.settings.logger.debug(`observe ${path} failed; relying on reads`, { endpoint: device.endpoint, error });
    }
  }

  /** The job after the transition (or chain of them), or undefined when another writer moved it first. */
  async transition(job: FirmwareJob, events: JobEvents, extra: TransitionExtras = {}): Promise<FirmwareJob | undefined> {
    const result = await this.settings.jobs.transition(job, events, this.settings.now(), extra);
    if (!result.success) {
      this.settings.logger.debug('transition not applied', { endpoint: job.endpoint, event: eventsOf(events).map((event) => event.kind).join(','), reason: result.error.message });
      return undefined;
    }
    if (isAttemptOver(result.data.status)) this.settings.onJobEnded(result.data);
    return result.data;
  }

  async fail(job: FirmwareJob, failure: JobFailure, extra: TransitionExtras = {}): Promise<void> {
    const { reason, updateResult, detail, reportedVersion } = failure;
    this.active.forget(job);
    this.delivery.abortPush(job);
    this.settings.logger.info('job failed', { campaignId: job.campaignId, endpoint: job.endpoint, reason, updateResult, detail, reportedVersion });
    await this.transition(job, { kind: 'failed', reason, ...(updateResult === undefined ? {} : { updateResult }), ...(reportedVersion === undefined ? {} : { reportedVersion }) }, extra);
  }

  /** A download that broke off (a timeout, a refused push): READY again after a back-off, or failed after the last attempt. */
  async retryOrFail(job: FirmwareJob, reason: FailureReason, cause: unknown): Promise<void> {
    this.active.forget(job);
    const latest = await this.settings.jobs.get(job.campaignId, job.jobKey);
    // Only the download this step drove: a step's late error must not fail a job that another
    // step moved on meanwhile (downloaded, installing: failing it there got it retried from READY
    // by the workflow, and the device told to install a second time).
    if (latest === undefined || latest.status !== JobStatus.Downloading || latest.attempt !== job.attempt) return;
    if (latest.attempt + 1 < this.settings.maxAttempts) {
      const backoff = this.settings.retryBackoffMs * 2 ** latest.attempt;
      await this.transition(latest, { kind: 'retry', reason, notBefore: this.settings.now() + backoff });
      return;
    }
    await this.fail(latest, { reason, detail: cause instanceof Error ? cause.message : String(cause) });
  }

  /**
   * Fails a job past its deadline with a conditional transition on what was listed: not through
   * `run`, so a step stuck on an unreachable device (up to a CoAP exchange lifetime) does not
   * hold the deadline back; that step's own writes then fail on the version.
   */
  async expire(job: FirmwareJob, reason: 'DOWNLOAD_TIMEOUT' | 'INSTALL_TIMEOUT'): Promise<void> {
    this.active.forget(job);
    this.delivery.abortPush(job);
    const failed = await this.transition(job, { kind: 'failed', reason });
    if (failed === undefined) return;
    this.stats.deadlinesEnforced++;
    this.settings.logger.info('job failed at its deadline', { campaignId: job.campaignId, endpoint: job.endpoint, reason, deadline: job.deadline, lateByMs: this.settings.now() - (job.deadline ?? 0) });
  }
}
