/**
 * Drives each device's firmware job through object 5 (ARCHITECTURE.md, "The edge executes jobs"):
 * writes the Package URI, observes /5/0/3 (and reads it as a fallback, Observe being best effort),
 * executes /5/0/2 when the install phase asks for it, waits for the re-registration, reads /3/0/3
 * and /5/0/5, and records the verdict. Every step is a conditional transition in the job store,
 * so two tasks, a restart or a duplicate notification can never move a job twice.
 */
import { FirmwareUpdateResult, FirmwareUpdateState, updateResultReason } from '../../core/lwm2m/firmwareUpdate.ts';
import { isRegistrationAlive, type DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { isAwake } from '../../core/devices/DeviceRequest.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus, type JobEvent } from '../../core/jobs/jobStateMachine.ts';
import type { JobStore } from '../../store/DynamoDbJobStore.ts';
import type { RegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import type { DeviceClient } from '../devices/DeviceClient.ts';
import type { Observation } from '../transport/CoapTransport.ts';
import { DeviceTimeoutError } from '../transport/errors.ts';
import type { RegistrationEvent } from '../registration/RegistrationService.ts';
import type { Logger } from '../logger.ts';
import { Semaphore } from './Semaphore.ts';

export interface JobExecutorOptions {
  readonly jobs: JobStore;
  readonly registrations: RegistrationStore;
  readonly devices: DeviceClient;
  readonly taskId: string;
  /** Base of Package URIs as devices must see it, e.g. coap://fota.example.com:5683 */
  readonly packageUriBase: string;
  readonly pollIntervalMs: number;
  /** How long a download may go without news before the state is read again. */
  readonly stateCheckIntervalMs?: number;
  readonly maxAttempts?: number;
  readonly retryBackoffMs?: number;
  readonly concurrency?: number;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How long a queue-mode device listens after it spoke. @default 93 s */
  readonly queueModeAwakeMs?: number;
}

interface ActiveJob {
  job: FirmwareJob;
  observation?: Observation;
  lastCheck: number;
}

export class JobExecutor {
  private readonly active = new Map<string, ActiveJob>();
  private readonly busy = new Set<string>();
  private readonly semaphore: Semaphore;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = false;

  constructor(private readonly options: JobExecutorOptions) {
    this.semaphore = new Semaphore(options.concurrency ?? 64);
    this.now = options.clock ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), this.options.pollIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const entry of this.active.values()) entry.observation?.cancel();
    this.active.clear();
  }

  /** One pass over the work this task owns. Public so tests and the local stack can step it. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const { jobs, taskId } = this.options;
      const [ready, downloading, downloaded, updating, verifying] = await Promise.all(
        [JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded, JobStatus.Updating, JobStatus.Verifying].map((status) =>
          jobs.listForOwner(taskId, status),
        ),
      );
      const now = this.now();
      const work: Promise<void>[] = [];
      for (const job of ready ?? []) if ((job as { notBefore?: number }).notBefore === undefined || ((job as { notBefore?: number }).notBefore ?? 0) <= now) work.push(this.run(job, () => this.startDownload(job)));
      for (const job of downloading ?? []) if (this.needsStateCheck(job, now)) work.push(this.run(job, () => this.checkState(job)));
      for (const job of downloaded ?? []) if (job.installRequested === true) work.push(this.run(job, () => this.startInstall(job)));
      for (const job of updating ?? []) work.push(this.run(job, () => this.checkUpdating(job)));
      for (const job of verifying ?? []) work.push(this.run(job, () => this.verify(job)));
      await Promise.all(work);
    } catch (error) {
      this.options.logger.error('job poll failed', { error });
    } finally {
      this.ticking = false;
    }
  }

  /** Registration events: takeover of jobs, verification after the reboot, recovery mid-download. */
  async onRegistration(event: RegistrationEvent): Promise<void> {
    if (event.kind === 'deregistered') return;
    const registration = event.registration;
    const jobs = await this.options.jobs.listForEndpoint(registration.endpoint);
    await Promise.all(
      jobs.map(async (job) => {
        if (job.status === JobStatus.Succeeded || job.status === JobStatus.Failed || job.status === JobStatus.Skipped || job.status === JobStatus.Cancelled) return;
        let current = job;
        if (job.ownerTask !== this.options.taskId && job.status !== JobStatus.Pending) {
          const claimed = await this.options.jobs.annotate(job, { ownerTask: this.options.taskId });
          if (!claimed) return;
          current = { ...job, ownerTask: this.options.taskId };
        }
        // The device is awake now (what a queue-mode device waits for): start what is due.
        if (current.status === JobStatus.Ready) await this.run(current, () => this.startDownload(current));
        else if (current.status === JobStatus.Downloaded && current.installRequested === true) await this.run(current, () => this.startInstall(current));
        if (event.kind !== 'registered') return;
        // A new registration means a new session: observations from the old one are gone.
        this.forget(current);
        if (current.status === JobStatus.Updating) await this.run(current, () => this.verify(current));
        else if (current.status === JobStatus.Downloading) await this.run(current, () => this.checkState(current));
      }),
    );
  }

  private async run(job: FirmwareJob, step: () => Promise<void>): Promise<void> {
    const key = keyOf(job);
    if (this.busy.has(key)) return;
    this.busy.add(key);
    try {
      await this.semaphore.use(step);
    } catch (error) {
      this.options.logger.warn('job step failed', { campaignId: job.campaignId, endpoint: job.endpoint, status: job.status, error });
    } finally {
      this.busy.delete(key);
    }
  }

  private async startDownload(job: FirmwareJob): Promise<void> {
    const device = await this.reachableDevice(job);
    if (device === undefined) return;
    const started = await this.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: job.deadline ?? this.now() + 3_600_000 });
    if (started === undefined) return;
    const entry: ActiveJob = { job: started, lastCheck: this.now() };
    this.active.set(keyOf(started), entry);
    await this.observeState(entry, device);
    const uri = `${this.options.packageUriBase}/fw/${started.downloadToken}`;
    try {
      const outcome = await this.options.devices.writeText(device, '/5/0/1', uri);
      if (outcome.kind === 'refused') await this.fail(entry.job, 'PACKAGE_URI_REJECTED', undefined, outcome.code);
    } catch (error) {
      await this.retryOrFail(entry.job, error);
    }
  }

  private async startInstall(job: FirmwareJob): Promise<void> {
    const device = await this.reachableDevice(job);
    if (device === undefined) return;
    const updating = await this.transition(job, { kind: 'updateStarted', deadline: job.deadline ?? this.now() + 3_600_000 });
    if (updating === undefined) return;
    this.forget(updating);
    try {
      const outcome = await this.options.devices.execute(device, '/5/0/2');
      if (outcome.kind === 'refused') await this.fail(updating, 'UPDATE_REFUSED', undefined, outcome.code);
    } catch (error) {
      // A device that reboots at once may never answer the Execute: its re-registration decides.
      if (!(error instanceof DeviceTimeoutError)) throw error;
      this.options.logger.info('no answer to Execute Update; waiting for re-registration', { endpoint: job.endpoint });
    }
  }

  /** Fallback for lost notifications: read State and Update Result of a download in progress. */
  private async checkState(job: FirmwareJob): Promise<void> {
    const device = await this.reachableDevice(job);
    if (device === undefined) return;
    const entry = this.active.get(keyOf(job)) ?? { job, lastCheck: 0 };
    entry.job = job;
    entry.lastCheck = this.now();
    this.active.set(keyOf(job), entry);
    if (entry.observation === undefined) await this.observeState(entry, device);
    const state = await this.options.devices.readValue(device, '/5/0/3');
    if (typeof state === 'number') await this.onFirmwareState(entry, device, state);
  }

  /** An UPDATING job whose device registered again after the Execute, or reports a result without rebooting. */
  private async checkUpdating(job: FirmwareJob): Promise<void> {
    const device = await this.options.registrations.get(job.endpoint);
    if (device === undefined) return;
    if (device.registeredAt > job.updatedAt) await this.verify(job);
  }

  private async observeState(entry: ActiveJob, device: DeviceRegistration): Promise<void> {
    try {
      entry.observation = await this.options.devices.observe(device, '/5/0/3', (value) => {
        if (typeof value !== 'number') return;
        void this.run(entry.job, () => this.onFirmwareState(entry, device, value)).catch(() => undefined);
      });
    } catch (error) {
      this.options.logger.debug('observe /5/0/3 failed; relying on reads', { endpoint: device.endpoint, error });
    }
  }

  private async onFirmwareState(entry: ActiveJob, device: DeviceRegistration, state: number): Promise<void> {
    const job = entry.job;
    entry.lastCheck = this.now();
    if (job.status !== JobStatus.Downloading) return;
    if (state === FirmwareUpdateState.Downloaded) {
      const next = await this.transition(job, { kind: 'downloaded' });
      if (next !== undefined) entry.job = next;
      return;
    }
    if (state === FirmwareUpdateState.Idle) {
      const result = await this.options.devices.readValue(device, '/5/0/5');
      if (typeof result === 'number' && result >= FirmwareUpdateResult.NotEnoughFlash) {
        await this.fail(job, updateResultReason(result), result);
      }
    }
  }

  private async verify(job: FirmwareJob): Promise<void> {
    let current: FirmwareJob | undefined = job;
    if (job.status === JobStatus.Updating) current = await this.transition(job, { kind: 'reregistered' });
    if (current === undefined || current.status !== JobStatus.Verifying) return;
    const device = await this.reachableDevice(current);
    if (device === undefined) return;
    const version = await this.options.devices.readValue(device, '/3/0/3');
    const result = await this.options.devices.readValue(device, '/5/0/5');
    const resultCode = typeof result === 'number' ? result : undefined;
    if (version === current.targetVersion && (resultCode === undefined || resultCode <= FirmwareUpdateResult.Success)) {
      await this.transition(current, { kind: 'verified', firmwareVersion: version });
      await this.options.registrations.update(device.endpoint, device.registrationId, { firmwareVersion: version });
      return;
    }
    const reason = resultCode !== undefined && resultCode > FirmwareUpdateResult.Success ? updateResultReason(resultCode) : 'VERSION_MISMATCH';
    await this.fail(current, reason, resultCode, `device reports version ${String(version)}`);
  }

  private async reachableDevice(job: FirmwareJob): Promise<DeviceRegistration | undefined> {
    const device = await this.options.registrations.get(job.endpoint);
    // A queue-mode device is reachable only while awake; its next Update brings the job back here.
    if (device === undefined || !isRegistrationAlive(device, this.now()) || !isAwake(device, this.now(), this.options.queueModeAwakeMs)) return undefined;
    if (device.ownerTask !== this.options.taskId) {
      // Only the task that last heard from the device can reach it through the NLB: hand over.
      await this.options.jobs.annotate(job, { ownerTask: device.ownerTask });
      return undefined;
    }
    return device;
  }

  private async retryOrFail(job: FirmwareJob, error: unknown): Promise<void> {
    const reason = error instanceof DeviceTimeoutError ? 'DEVICE_TIMEOUT' : 'DEVICE_ERROR';
    this.forget(job);
    const latest = await this.options.jobs.get(job.campaignId, job.jobKey);
    if (latest === undefined) return;
    if (latest.attempt + 1 < (this.options.maxAttempts ?? 3) && latest.status === JobStatus.Downloading) {
      const backoff = (this.options.retryBackoffMs ?? 2_000) * 2 ** latest.attempt;
      await this.transition(latest, { kind: 'retry', reason, notBefore: this.now() + backoff });
      return;
    }
    await this.fail(latest, reason, undefined, error instanceof Error ? error.message : String(error));
  }

  private async fail(job: FirmwareJob, reason: string, updateResult?: number, detail?: string): Promise<void> {
    this.forget(job);
    this.options.logger.info('job failed', { campaignId: job.campaignId, endpoint: job.endpoint, reason, detail });
    await this.transition(job, { kind: 'failed', reason, ...(updateResult === undefined ? {} : { updateResult }) });
  }

  private async transition(job: FirmwareJob, event: JobEvent): Promise<FirmwareJob | undefined> {
    const result = await this.options.jobs.transition(job, event, this.now());
    if (result.success) return result.data;
    this.options.logger.debug('transition not applied', { endpoint: job.endpoint, event: event.kind, reason: result.error.message });
    return undefined;
  }

  private needsStateCheck(job: FirmwareJob, now: number): boolean {
    const entry = this.active.get(keyOf(job));
    if (entry === undefined) return true;
    entry.job = job;
    return now - entry.lastCheck >= (this.options.stateCheckIntervalMs ?? 15_000);
  }

  private forget(job: FirmwareJob): void {
    const key = keyOf(job);
    this.active.get(key)?.observation?.cancel();
    this.active.delete(key);
  }
}

function keyOf(job: Pick<FirmwareJob, 'campaignId' | 'endpoint'>): string {
  return `${job.campaignId}/${job.endpoint}`;
}
