/**
 * The install half of a job on the device (object 5): Execute Update, what the device says of it
 * (deferred, failed, or a reboot), Execute sent again when it never arrived, and the read-back of
 * the version after the device registered again. Run by the JobExecutor, one step at a time per
 * job, through the executor's own job writes and device reachability (`JobStepContext`).
 */
import { changeTimeOf, executeWasLost, installVerdict, type FirmwareObjectSnapshot } from '../../core/firmware/firmwareProgress.ts';
import { FirmwareUpdateResult, updateResultReason } from '../../core/lwm2m/firmwareUpdate.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus, type JobEvent } from '../../core/jobs/jobStateMachine.ts';
import { DeviceTimeoutError } from '../transport/errors.ts';
import type { ActiveJob, ActiveJobs } from './ActiveJobs.ts';
import type { JobExecutorOptions } from './JobExecutor.ts';

/** What the steps use of the executor that runs them. */
export interface JobStepContext {
  readonly active: ActiveJobs;
  now(): number;
  stateCheckIntervalMs(): number;
  /** The device's registration when this task can reach it now; else the job is handed over. */
  reachableDevice(job: FirmwareJob): Promise<DeviceRegistration | undefined>;
  transition(job: FirmwareJob, event: JobEvent, extra?: Readonly<Record<string, string | number | boolean>>): Promise<FirmwareJob | undefined>;
  fail(job: FirmwareJob, reason: string, updateResult?: number, detail?: string, extra?: Readonly<Record<string, number>>): Promise<void>;
  readFirmware(device: DeviceRegistration): Promise<FirmwareObjectSnapshot>;
  /** Observes a resource of object 5 for the job's entry; `onChange` runs as a step of the job. */
  observe(entry: ActiveJob, device: DeviceRegistration, path: string, matters: (value: unknown) => boolean, onChange: () => Promise<void>): Promise<void>;
}

export class InstallSteps {
  constructor(
    private readonly options: Pick<JobExecutorOptions, 'devices' | 'registrations' | 'jobs' | 'logger' | 'maxDeferrals' | 'deferRetryMs' | 'maxExecuteResends'>,
    private readonly context: JobStepContext,
  ) {}

  /** Execute Update (/5/0/2) on a DOWNLOADED job whose install was requested; the job goes UPDATING first. */
  async start(job: FirmwareJob): Promise<void> {
    const device = await this.context.reachableDevice(job);
    if (device === undefined) return;
    const updating = await this.context.transition(job, { kind: 'updateStarted', deadline: job.deadline ?? this.context.now() + 3_600_000 });
    if (updating === undefined) return;
    this.context.active.forget(updating);
    const sent = await this.executeUpdate(updating, device);
    if (sent === 'refused') return;
    if (sent === 'noAnswer') {
      // A device that reboots at once may never answer the Execute: its re-registration decides.
      this.options.logger.info('no answer to Execute Update; waiting for re-registration', { endpoint: job.endpoint });
      return;
    }
    // A device that fails or defers the update says so in /5/0/5 without rebooting. Not awaited:
    // most devices reboot at once and never answer, and the step must not hold a slot of the
    // executor's concurrency for a whole CoAP exchange lifetime meanwhile.
    const entry = this.context.active.begin(updating, true);
    void this.context.observe(entry, device, '/5/0/5', (value) => value !== FirmwareUpdateResult.Initial, () => this.checkInstall(entry.job));
  }

  /** An UPDATING job: verify once the device registered again; otherwise read /5/0 now and then. */
  async checkUpdating(job: FirmwareJob): Promise<void> {
    const device = await this.options.registrations.get(job.endpoint);
    if (device === undefined) return;
    if (device.registeredAt > job.updatedAt) {
      await this.verify(job);
      return;
    }
    if (!this.context.active.needsCheck(job, this.context.now(), this.context.stateCheckIntervalMs())) return;
    await this.checkInstall(job);
  }

  private async checkInstall(job: FirmwareJob): Promise<void> {
    if (job.status !== JobStatus.Updating) return;
    const device = await this.context.reachableDevice(job);
    if (device === undefined) return;
    const entry = this.context.active.checked(job);
    const snapshot = await this.context.readFirmware(device);
    const verdict = installVerdict(snapshot);
    switch (verdict.kind) {
      case 'deferred': {
        const deferrals = (job.deferrals ?? 0) + 1;
        if (deferrals > (this.options.maxDeferrals ?? 5)) {
          await this.context.fail(job, 'UPDATE_DEFERRED', FirmwareUpdateResult.Deferred, `deferred ${deferrals - 1} times`);
          return;
        }
        this.context.active.forget(job);
        await this.context.transition(job, { kind: 'deferred', notBefore: this.context.now() + (this.options.deferRetryMs ?? 60_000), deferrals }, changeTimeOf(snapshot));
        return;
      }
      case 'failed':
        await this.context.fail(job, verdict.reason, verdict.updateResult, undefined, changeTimeOf(snapshot));
        return;
      case 'updated':
        this.context.active.forget(job);
        await this.verify(job);
        return;
      default:
        entry.lastCheck = this.context.now();
        if (executeWasLost(snapshot)) await this.resendExecute(job, device);
    }
  }

  /**
   * A device still Downloaded with no Update Result a state check after Execute Update never got
   * it (every retransmission lost): Execute /5/0/2 updates from Updating, so it resets Update
   * Result to 0 and leaves state 2 the moment it arrives. Sent again, a bounded number of times;
   * a device that got it is Updating or rebooting, never asked twice.
   */
  private async resendExecute(job: FirmwareJob, device: DeviceRegistration): Promise<void> {
    const resends = job.executeResends ?? 0;
    const lastSent = job.executeResentAt ?? job.updatedAt;
    if (resends >= (this.options.maxExecuteResends ?? 3) || this.context.now() - lastSent < this.context.stateCheckIntervalMs()) return;
    if (!(await this.options.jobs.annotate(job, { executeResends: resends + 1, executeResentAt: this.context.now() }))) return;
    this.options.logger.info('device still Downloaded after Execute Update: sending it again', { endpoint: job.endpoint, resends: resends + 1 });
    await this.executeUpdate(job, device);
  }

  /** Execute /5/0/2; a device that refuses it fails the job with UPDATE_REFUSED. */
  private async executeUpdate(job: FirmwareJob, device: DeviceRegistration): Promise<'accepted' | 'refused' | 'noAnswer'> {
    try {
      const outcome = await this.options.devices.execute(device, '/5/0/2');
      if (outcome.kind !== 'refused') return 'accepted';
      await this.context.fail(job, 'UPDATE_REFUSED', undefined, outcome.code);
      return 'refused';
    } catch (error) {
      if (!(error instanceof DeviceTimeoutError)) throw error;
      return 'noAnswer';
    }
  }

  /** After the reboot: the version read back from /3/0/3 and the result in /5/0 decide SUCCEEDED or FAILED. */
  async verify(job: FirmwareJob): Promise<void> {
    let current: FirmwareJob | undefined = job;
    if (job.status === JobStatus.Updating) current = await this.context.transition(job, { kind: 'reregistered' });
    if (current === undefined || current.status !== JobStatus.Verifying) return;
    const device = await this.context.reachableDevice(current);
    if (device === undefined) return;
    const version = await this.options.devices.readValue(device, '/3/0/3');
    const snapshot = await this.context.readFirmware(device);
    const resultCode = snapshot.updateResult;
    if (version === current.targetVersion && (resultCode === undefined || resultCode <= FirmwareUpdateResult.Success)) {
      await this.context.transition(current, { kind: 'verified', firmwareVersion: version }, changeTimeOf(snapshot));
      await this.options.registrations.update(device.endpoint, device.registrationId, { firmwareVersion: version });
      return;
    }
    const reason = resultCode !== undefined && resultCode > FirmwareUpdateResult.Success ? updateResultReason(resultCode) : 'VERSION_MISMATCH';
    await this.context.fail(current, reason, resultCode, `device reports version ${String(version)}`, changeTimeOf(snapshot));
  }
}
