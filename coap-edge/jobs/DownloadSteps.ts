/**
 * The download half of a job on the device (object 5, ARCHITECTURE.md "Delivering firmware"):
 * pick the delivery from /5/0/8 and /5/0/9 and start it (PackageDelivery), observe /5/0/3, read
 * /5/0 when news is lost, and record what the device says (Downloaded, a failure with its Update
 * Result, a cancel on the device); a push's end and a transport error retry or fail the attempt.
 */
import { NO_DELIVERY_REASON } from '../../core/firmware/deliverySelection.ts';
import { changeTimeOf, downloadVerdict, type FirmwareObjectSnapshot, type FirmwareVerdict } from '../../core/firmware/firmwareProgress.ts';
import { FirmwareUpdateState, updateResultReason } from '../../core/lwm2m/firmwareUpdate.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { DeviceTimeoutError } from '../transport/errors.ts';
import type { ActiveJob, ActiveJobs } from './ActiveJobs.ts';
import type { ExecutorSettings } from './executorSettings.ts';
import type { JobSteps } from './JobSteps.ts';
import type { PackageDelivery, PushEnd } from './PackageDelivery.ts';
import type { StepRunner } from './StepRunner.ts';

export class DownloadSteps {
  constructor(
    private readonly settings: ExecutorSettings,
    private readonly steps: JobSteps,
    private readonly active: ActiveJobs,
    private readonly runner: StepRunner,
    private readonly delivery: PackageDelivery,
  ) {}

  /** A READY job: write the Package URI (or start the push) of the best delivery the device takes. */
  async start(job: FirmwareJob): Promise<void> {
    const device = await this.steps.reachableDevice(job);
    if (device === undefined) return;
    const { snapshot, choices } = await this.delivery.choices(device);
    const first = choices[0];
    if (first === undefined) {
      await this.steps.fail(job, { reason: NO_DELIVERY_REASON, detail: `protocols [${(snapshot.protocols ?? []).join(',')}], delivery method ${String(snapshot.deliveryMethod)}` });
      return;
    }
    await this.delivery.writePreferences(device, job);
    const started = await this.steps.transition(job, { kind: 'downloadStarted', delivery: first.kind, deadline: job.deadline ?? this.settings.now() + this.settings.fallbackDeadlineMs });
    if (started === undefined) return;
    const entry = this.active.begin(started, false);
    await this.observeState(entry, device);
    try {
      const outcome = await this.delivery.start(started, device, choices, (end) => this.runner.settle(this.onPushEnded(started, end), 'push ended'));
      switch (outcome.kind) {
        case 'started':
          entry.accepting = true;
          entry.lastCheck = this.settings.now();
          if (outcome.choice.kind !== first.kind && (await this.settings.jobs.recordDelivery(started, outcome.choice.kind))) {
            entry.job = { ...entry.job, delivery: outcome.choice.kind };
          }
          // A fast download may have ended while the Package URI write was being answered.
          if (entry.recheck) await this.checkState(entry.job);
          return;
        case 'refused':
          await this.steps.fail(entry.job, { reason: 'PACKAGE_URI_REJECTED', detail: outcome.code });
          return;
        case 'imageUnavailable':
          await this.steps.fail(entry.job, { reason: outcome.reason, detail: imageDetail(job.imageId) });
          return;
      }
    } catch (error) {
      await this.steps.retryOrFail(entry.job, error instanceof DeviceTimeoutError ? 'DEVICE_TIMEOUT' : 'DEVICE_ERROR', error);
    }
  }

  /** Fallback for lost notifications: read object 5 of a download in progress. */
  async checkState(job: FirmwareJob): Promise<void> {
    const device = await this.steps.reachableDevice(job);
    if (device === undefined) return;
    const entry = this.active.checked(job);
    if (entry.observation === undefined) await this.observeState(entry, device);
    const snapshot = await this.steps.readFirmware(device);
    await this.applyVerdict(entry, downloadVerdict(snapshot), snapshot);
  }

  /** A push ended: the device itself reports Downloaded (or a result) after the last block. */
  private async onPushEnded(job: FirmwareJob, end: PushEnd): Promise<void> {
    if (end.kind === 'aborted' || end.kind === 'alreadyPushing') return;
    const latest = await this.settings.jobs.get(job.campaignId, job.jobKey);
    if (latest === undefined || latest.status !== JobStatus.Downloading) return;
    switch (end.kind) {
      case 'done':
        if (!(await this.runner.run(latest, () => this.checkState(latest)))) this.active.markRecheck(latest);
        return;
      case 'imageUnavailable':
        await this.steps.fail(latest, { reason: await this.delivery.unavailableReason(latest.imageId), detail: imageDetail(latest.imageId) });
        return;
      case 'tooLarge':
        await this.steps.fail(latest, { reason: 'PACKAGE_TOO_LARGE', ...(end.maxBytes === undefined ? {} : { detail: `the device takes at most ${end.maxBytes} bytes` }) });
        return;
      case 'refused':
        // 4.08: the device missed a block; another attempt may go through.
        await this.steps.retryOrFail(latest, end.code === '4.08' ? 'PUSH_INCOMPLETE' : 'PUSH_REFUSED', end.code);
        return;
      case 'error':
        await this.steps.retryOrFail(latest, end.error instanceof DeviceTimeoutError ? 'DEVICE_TIMEOUT' : 'DEVICE_ERROR', end.error);
        return;
    }
  }

  /**
   * Only a State that may decide the download (Downloaded, Idle) brings a read of /5/0 forward:
   * Downloading (and Updating) leave the job as it is (core/firmware/firmwareProgress.ts), and a
   * read for each would cost a registry read and a device request per job for nothing.
   */
  private async observeState(entry: ActiveJob, device: DeviceRegistration): Promise<void> {
    await this.steps.observe(entry, device, '/5/0/3', mayDecideDownload, () => this.checkState(entry.job));
  }

  private async applyVerdict(entry: ActiveJob, verdict: FirmwareVerdict, snapshot: FirmwareObjectSnapshot): Promise<void> {
    const job = entry.job;
    entry.lastCheck = this.settings.now();
    entry.recheck = false;
    if (job.status !== JobStatus.Downloading || !entry.accepting) return;
    switch (verdict.kind) {
      case 'downloaded': {
        const next = await this.steps.transition(job, { kind: 'downloaded' }, changeTimeOf(snapshot));
        if (next !== undefined) entry.job = next;
        return;
      }
      case 'failed':
        await this.steps.fail(job, { reason: verdict.reason, updateResult: verdict.updateResult }, changeTimeOf(snapshot));
        return;
      case 'cancelled':
        this.active.forget(job);
        await this.steps.transition(job, { kind: 'cancelled', reason: updateResultReason(verdict.updateResult) }, { ...changeTimeOf(snapshot), updateResult: verdict.updateResult });
        return;
      default:
        return;
    }
  }
}

function mayDecideDownload(state: unknown): boolean {
  return state !== FirmwareUpdateState.Downloading && state !== FirmwareUpdateState.Updating;
}

function imageDetail(imageId: string): string {
  return `image ${imageId} is missing or does not match its verified SHA-256`;
}
