/**
 * The install half of a job on the device (object 5): Execute Update, what the device says of it
 * (deferred, failed, or a reboot), Execute sent again when it never arrived, and the read-back of
 * the version after the device registered again. Run by the JobExecutor, one step at a time per
 * job (StepRunner), on the shared job steps (JobSteps).
 */
import { changeTimeOf, executeWasLost, installVerdict } from '../../core/firmware/firmwareProgress.ts';
import { FirmwareUpdateResult, FirmwareUpdateState, updateResultReason } from '../../core/lwm2m/firmwareUpdate.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { DeviceTimeoutError } from '../transport/errors.ts';
import type { ActiveJobs } from './ActiveJobs.ts';
import type { FirmwareDevices } from './deviceFirmware.ts';
import type { ExecutorSettings } from './executorSettings.ts';
import type { JobSteps } from './JobSteps.ts';
import type { StepRunner } from './StepRunner.ts';

export class InstallSteps {
  constructor(
    private readonly settings: ExecutorSettings,
    private readonly steps: JobSteps,
    private readonly active: ActiveJobs,
    private readonly runner: StepRunner,
  ) {}

  /**
   * Execute Update (/5/0/2) on a DOWNLOADED job whose cohort's install is requested, to finish by
   * `deadline` (core/jobs/cohortInstall.ts). The device is read first (only a device that is
   * Downloaded is told to update), then the job goes UPDATING with a conditional write on
   * (DOWNLOADED, version): that write is the claim on the install, so of two tasks or two steps
   * holding the same job only the one whose write lands sends the Execute.
   */
  async start(job: FirmwareJob, deadline: number): Promise<void> {
    const device = await this.steps.reachableDevice(job);
    if (device === undefined) return;
    const before = await this.steps.readFirmware(device);
    if (before.state !== undefined && before.state !== FirmwareUpdateState.Downloaded) {
      // Downloading: a download of this job still settling; the next tick looks again. Idle: the
      // device lost the package (a reboot, a reset): telling it to update would only be refused.
      if (before.state === FirmwareUpdateState.Idle) await this.steps.fail(job, { reason: 'PACKAGE_LOST', detail: `device is Idle with Update Result ${String(before.updateResult)}` });
      return;
    }
    const updating = await this.steps.transition(job, { kind: 'updateStarted', deadline });
    if (updating === undefined) return;
    this.active.forget(updating);
    const sent = await this.executeUpdate(updating, device);
    if (sent === 'refused') return;
    if (sent === 'noAnswer') {
      // A device that reboots at once may never answer the Execute: its re-registration decides.
      this.settings.logger.info('no answer to Execute Update; waiting for re-registration', { endpoint: job.endpoint });
      return;
    }
    // A device that fails or defers the update says so in /5/0/5 without rebooting. Not awaited:
    // most devices reboot at once and never answer, and the step must not hold a slot of the
    // executor's concurrency for a whole CoAP exchange lifetime meanwhile. observe() catches its
    // own errors; the catch here is for the unexpected (a bug), counted by the executor.
    const entry = this.active.begin(sent.job, true);
    this.runner.settle(this.steps.observe(entry, device, '/5/0/5', (value) => value !== FirmwareUpdateResult.Initial, () => this.checkInstall(entry.job)), 'observe /5/0/5');
  }

  /**
   * An UPDATING job, now and then (news from the device aside): verify once the device registered
   * again, else read /5/0. A re-registration here verifies at once (JobExecutor#onRegistration):
   * this look is the safety net, so it reads the registry at the state-check interval, not at
   * every tick (a read unit per UPDATING job per tick, for nothing, while devices reboot).
   */
  async checkUpdating(job: FirmwareJob): Promise<void> {
    if (!this.active.needsCheck(job, this.settings.now(), this.settings.stateCheckIntervalMs)) return;
    const device = await this.settings.registrations.getWithoutTags(job.endpoint);
    if (device === undefined) return;
    if (device.registeredAt > job.updatedAt) {
      await this.verify(job);
      return;
    }
    await this.checkInstall(job);
  }

  private async checkInstall(job: FirmwareJob): Promise<void> {
    if (job.status !== JobStatus.Updating) return;
    const device = await this.steps.reachableDevice(job);
    if (device === undefined) return;
    const entry = this.active.checked(job);
    const snapshot = await this.steps.readFirmware(device);
    const verdict = installVerdict(snapshot);
    switch (verdict.kind) {
      case 'deferred': {
        const deferrals = (job.deferrals ?? 0) + 1;
        if (deferrals > this.settings.maxDeferrals) {
          await this.steps.fail(job, { reason: 'UPDATE_DEFERRED', updateResult: FirmwareUpdateResult.Deferred, detail: `deferred ${deferrals - 1} times` });
          return;
        }
        this.active.forget(job);
        await this.steps.transition(job, { kind: 'deferred', notBefore: this.settings.now() + this.settings.deferRetryMs, deferrals }, changeTimeOf(snapshot));
        return;
      }
      case 'failed':
        await this.steps.fail(job, { reason: verdict.reason, updateResult: verdict.updateResult }, changeTimeOf(snapshot));
        return;
      case 'updated':
        this.active.forget(job);
        await this.verify(job);
        return;
      default:
        entry.lastCheck = this.settings.now();
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
    if (resends >= this.settings.maxExecuteResends) return;
    const claimed = await this.steps.transition(job, { kind: 'executeResent', resends: resends + 1 });
    if (claimed === undefined) return;
    this.settings.logger.info('device never got Execute Update: sending it again', { endpoint: job.endpoint, resends: resends + 1 });
    await this.executeUpdate(claimed, device);
  }

  /**
   * Execute /5/0/2; a device that refuses it fails the job with UPDATE_REFUSED. An exchange that
   * ended unanswered is recorded on the job (what a later resend decision rests on); an answered
   * one is not: it is never sent again, exactly like one whose end went unrecorded, so writing it
   * would cost a write per device and decide nothing.
   */
  private async executeUpdate(job: FirmwareJob, device: DeviceRegistration): Promise<{ readonly job: FirmwareJob } | 'refused' | 'noAnswer'> {
    let outcome: Awaited<ReturnType<FirmwareDevices['execute']>>;
    try {
      outcome = await this.settings.devices.execute(device, '/5/0/2');
    } catch (error) {
      if (!(error instanceof DeviceTimeoutError)) throw error;
      await this.settings.jobs.recordExecuteOutcome(job, 'noAnswer', this.settings.now());
      return 'noAnswer';
    }
    if (outcome.kind === 'refused') {
      await this.steps.fail(job, { reason: 'UPDATE_REFUSED', detail: outcome.code });
      return 'refused';
    }
    return { job };
  }

  /**
   * After the reboot: the version read back from /3/0/3 and the result in /5/0 decide SUCCEEDED
   * or FAILED. An UPDATING job that verifies goes UPDATING -> VERIFYING -> SUCCEEDED in one
   * conditional write on (UPDATING, version), both transitions in its history: the reads come
   * first, and a task that stops between them leaves the job UPDATING, which the next look at it
   * verifies the same way (reads change nothing on the device).
   */
  async verify(job: FirmwareJob): Promise<void> {
    if (job.status !== JobStatus.Updating && job.status !== JobStatus.Verifying) return;
    const device = await this.steps.reachableDevice(job);
    if (device === undefined) return;
    const version = await this.settings.devices.readValue(device, '/3/0/3');
    const snapshot = await this.steps.readFirmware(device);
    const resultCode = snapshot.updateResult;
    if (version === job.targetVersion && (resultCode === undefined || resultCode <= FirmwareUpdateResult.Success)) {
      const verified = { kind: 'verified', firmwareVersion: version } as const;
      await this.steps.transition(job, job.status === JobStatus.Updating ? [{ kind: 'reregistered' }, verified] : verified, changeTimeOf(snapshot));
      // The facts read after the Register (DeviceInfoReader) usually stored the new version already.
      if (device.firmwareVersion !== version) await this.settings.registrations.update(device.endpoint, device.registrationId, { firmwareVersion: version });
      return;
    }
    const current = job.status === JobStatus.Updating ? await this.steps.transition(job, { kind: 'reregistered' }) : job;
    if (current === undefined) return;
    const reason = resultCode !== undefined && resultCode > FirmwareUpdateResult.Success ? updateResultReason(resultCode) : 'VERSION_MISMATCH';
    await this.steps.fail(
      current,
      { reason, ...(resultCode === undefined ? {} : { updateResult: resultCode }), detail: `device reports version ${String(version)}`, ...(version === undefined || version === null ? {} : { reportedVersion: String(version) }) },
      changeTimeOf(snapshot),
    );
  }
}
