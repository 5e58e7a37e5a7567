/**
 * The install half of a job on the device (object 5): Execute Update, what the device says of it
 * (deferred, failed, or a reboot), Execute sent again when it never arrived, and the read-back of
 * the version after the device registered again. Run by the JobExecutor, one step at a time per
 * job, through the executor's own job writes and device reachability (`JobStepContext`).
 */
import { changeTimeOf, executeWasLost, installVerdict, type FirmwareObjectSnapshot } from '../../core/firmware/firmwareProgress.ts';
import { FirmwareUpdateResult, FirmwareUpdateState, updateResultReason } from '../../core/lwm2m/firmwareUpdate.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus, type JobEvent } from '../../core/jobs/jobStateMachine.ts';
import { DeviceTimeoutError } from '../transport/errors.ts';
import type { DeviceClient } from '../devices/DeviceClient.ts';
import type { ActiveJob, ActiveJobs } from './ActiveJobs.ts';
import type { JobExecutorOptions } from './JobExecutor.ts';
import type { FailureReason } from '../../core/jobs/failureReason.ts';

/** Why a job failed, as the step that saw it knows it. */
export interface JobFailure {
  readonly reason: FailureReason;
  readonly updateResult?: number;
  readonly detail?: string;
  /** The version the device reported in /3/0/3, when it told one. */
  readonly reportedVersion?: string;
}

/** What the steps use of the executor that runs them. */
export interface JobStepContext {
  readonly active: ActiveJobs;
  now(): number;
  stateCheckIntervalMs(): number;
  /** The device's registration when this task can reach it now; else the job is handed over. */
  reachableDevice(job: FirmwareJob): Promise<DeviceRegistration | undefined>;
  transition(job: FirmwareJob, event: JobEvent, extra?: Readonly<Record<string, string | number | boolean>>): Promise<FirmwareJob | undefined>;
  fail(job: FirmwareJob, failure: JobFailure, extra?: Readonly<Record<string, number>>): Promise<void>;
  /** Runs a promise nobody awaits: an unexpected rejection is logged and counted, never unhandled. */
  settle(promise: Promise<unknown>, what: string): void;
  readFirmware(device: DeviceRegistration): Promise<FirmwareObjectSnapshot>;
  /** Observes a resource of object 5 for the job's entry; `onChange` runs as a step of the job. */
  observe(entry: ActiveJob, device: DeviceRegistration, path: string, matters: (value: unknown) => boolean, onChange: () => Promise<void>): Promise<void>;
}

export class InstallSteps {
  constructor(
    private readonly options: Pick<JobExecutorOptions, 'devices' | 'registrations' | 'jobs' | 'logger' | 'maxDeferrals' | 'deferRetryMs' | 'maxExecuteResends'>,
    private readonly context: JobStepContext,
  ) {}

  /**
   * Execute Update (/5/0/2) on a DOWNLOADED job whose install was requested. The device is read
   * first (only a device that is Downloaded is told to update), then the job goes UPDATING with a
   * conditional write on (DOWNLOADED, version): that write is the claim on the install, so of two
   * tasks or two steps holding the same job only the one whose write lands sends the Execute.
   */
  async start(job: FirmwareJob): Promise<void> {
    const device = await this.context.reachableDevice(job);
    if (device === undefined) return;
    const before = await this.context.readFirmware(device);
    if (before.state !== undefined && before.state !== FirmwareUpdateState.Downloaded) {
      // Downloading: a download of this job still settling; the next tick looks again. Idle: the
      // device lost the package (a reboot, a reset): telling it to update would only be refused.
      if (before.state === FirmwareUpdateState.Idle) await this.context.fail(job, { reason: 'PACKAGE_LOST', detail: `device is Idle with Update Result ${String(before.updateResult)}` });
      return;
    }
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
    // executor's concurrency for a whole CoAP exchange lifetime meanwhile. observe() catches its
    // own errors; the catch here is for the unexpected (a bug), counted by the executor.
    const entry = this.context.active.begin(sent.job, true);
    this.context.settle(this.context.observe(entry, device, '/5/0/5', (value) => value !== FirmwareUpdateResult.Initial, () => this.checkInstall(entry.job)), 'observe /5/0/5');
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
          await this.context.fail(job, { reason: 'UPDATE_DEFERRED', updateResult: FirmwareUpdateResult.Deferred, detail: `deferred ${deferrals - 1} times` });
          return;
        }
        this.context.active.forget(job);
        await this.context.transition(job, { kind: 'deferred', notBefore: this.context.now() + (this.options.deferRetryMs ?? 60_000), deferrals }, changeTimeOf(snapshot));
        return;
      }
      case 'failed':
        await this.context.fail(job, { reason: verdict.reason, updateResult: verdict.updateResult }, changeTimeOf(snapshot));
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
   * Execute Update sent again, only when the device provably never got the first one: the first
   * exchange ended with every retransmission unanswered (`executeOutcome` 'noAnswer', recorded
   * when it ended, so no copy of it is still on its way), and a read after that finds the device
   * still Downloaded with no Update Result (Execute takes it out of Downloaded or sets a result
   * the moment it arrives). An Execute that was answered, or whose end was never recorded (the
   * task died meanwhile), is never sent again: the install deadline decides. The resend is
   * claimed with a conditional transition on (UPDATING, version): one sender, even with two tasks.
   */
  private async resendExecute(job: FirmwareJob, device: DeviceRegistration): Promise<void> {
    const resends = job.executeResends ?? 0;
    if (job.executeOutcome !== 'noAnswer' || job.executeEndedAt === undefined) return;
    if (resends >= (this.options.maxExecuteResends ?? 3)) return;
    const claimed = await this.context.transition(job, { kind: 'executeResent', resends: resends + 1 });
    if (claimed === undefined) return;
    this.options.logger.info('device never got Execute Update: sending it again', { endpoint: job.endpoint, resends: resends + 1 });
    await this.executeUpdate(claimed, device);
  }

  /**
   * Execute /5/0/2; a device that refuses it fails the job with UPDATE_REFUSED. How the exchange
   * ended is recorded on the job (what a later resend decision rests on).
   */
  private async executeUpdate(job: FirmwareJob, device: DeviceRegistration): Promise<{ readonly job: FirmwareJob } | 'refused' | 'noAnswer'> {
    let outcome: Awaited<ReturnType<DeviceClient['execute']>>;
    try {
      outcome = await this.options.devices.execute(device, '/5/0/2');
    } catch (error) {
      if (!(error instanceof DeviceTimeoutError)) throw error;
      await this.options.jobs.annotate(job, { executeOutcome: 'noAnswer', executeEndedAt: this.context.now() });
      return 'noAnswer';
    }
    if (outcome.kind === 'refused') {
      await this.context.fail(job, { reason: 'UPDATE_REFUSED', detail: outcome.code });
      return 'refused';
    }
    const accepted = { ...job, executeOutcome: 'accepted' as const, executeEndedAt: this.context.now() };
    await this.options.jobs.annotate(job, { executeOutcome: accepted.executeOutcome, executeEndedAt: accepted.executeEndedAt });
    return { job: accepted };
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
    await this.context.fail(
      current,
      { reason, ...(resultCode === undefined ? {} : { updateResult: resultCode }), detail: `device reports version ${String(version)}`, ...(version === undefined || version === null ? {} : { reportedVersion: String(version) }) },
      changeTimeOf(snapshot),
    );
  }
}
