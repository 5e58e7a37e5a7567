/**
 * Drives each device's firmware job through object 5 (ARCHITECTURE.md, "The edge executes jobs"):
 * picks the delivery from /5/0/8 and /5/0/9 and starts it (PackageDelivery), observes /5/0/3 (and
 * reads /5/0 as a fallback, Observe being best effort), executes /5/0/2 when the install phase
 * asks for it and watches /5/0/5 for a failure or a deferral, waits for the re-registration, reads
 * /3/0/3 and /5/0/5, and records the verdict. Every step is a conditional transition in the job
 * store, so two tasks, a restart or a duplicate notification can never move a job twice.
 */
import { NO_DELIVERY_REASON } from '../../core/firmware/deliverySelection.ts';
import { changeTimeOf, downloadVerdict, type FirmwareObjectSnapshot, type FirmwareVerdict } from '../../core/firmware/firmwareProgress.ts';
import { updateResultReason } from '../../core/lwm2m/firmwareUpdate.ts';
import { isRegistrationAlive, type DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { isAwake } from '../../core/devices/DeviceRequest.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { deadlineReason } from '../../core/jobs/jobDeadline.ts';
import { JobStatus, canApply, isAttemptOver, type JobEvent } from '../../core/jobs/jobStateMachine.ts';
import type { JobStore } from '../../store/DynamoDbJobStore.ts';
import type { RegistrationStore } from '../../core/ports/RegistrationStore.ts';
import type { DeviceClient } from '../devices/DeviceClient.ts';
import type { ImageCache } from '../firmware/ImageCache.ts';
import type { PackagePusher } from '../firmware/PackagePusher.ts';
import type { Peer } from '../transport/CoapTransport.ts';
import { ActiveJobs, keyOf, type ActiveJob } from './ActiveJobs.ts';
import { InstallSteps, type JobFailure } from './InstallSteps.ts';
import { DeviceTimeoutError } from '../transport/errors.ts';
import type { RegistrationEvent } from '../registration/RegistrationService.ts';
import type { Logger } from '../logger.ts';
import { PackageDelivery, type HttpPackageSource, type PushEnd } from './PackageDelivery.ts';
import { cancelOnDevice, readFirmwareObject, type DeviceCancel } from './deviceFirmware.ts';
import { Semaphore } from '../../core/concurrency.ts';
import type { FailureReason } from '../../core/jobs/failureReason.ts';

export interface JobExecutorOptions {
  readonly jobs: JobStore;
  readonly registrations: RegistrationStore;
  readonly devices: DeviceClient;
  readonly taskId: string;
  /** Base of Package URIs as devices must see it, e.g. coap://fota.example.com:5683 */
  readonly packageUriBase: string;
  /** Base of CoAPS Package URIs (coaps://host:5684), for devices registered over DTLS. */
  readonly securePackageUriBase?: string;
  readonly pollIntervalMs: number;
  /** How long a download or an install may go without news before the device is read again. */
  readonly stateCheckIntervalMs?: number;
  readonly maxAttempts?: number;
  readonly retryBackoffMs?: number;
  readonly concurrency?: number;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How long a queue-mode device listens after it spoke. @default 93 s */
  readonly queueModeAwakeMs?: number;
  /** Image bytes: checked before a CoAP pull, sliced by a push. */
  readonly images?: Pick<ImageCache, 'get' | 'unavailableReason'>;
  /** Pushes packages to push-only devices; without it push is not offered. */
  readonly pusher?: PackagePusher;
  /** Presigned S3 URLs; without them HTTP(S) pull is not offered. */
  readonly httpPackages?: HttpPackageSource;
  /** After a deferral (Update Result 11), Execute Update again after this long. @default 60 s */
  readonly deferRetryMs?: number;
  /** Deferrals accepted before the job fails with UPDATE_DEFERRED. @default 5 */
  readonly maxDeferrals?: number;
  /** How often jobs under way (downloading, downloaded, updating, verifying) are read. @default 4 poll intervals */
  readonly underWayScanMs?: number;
  /** Execute Updates sent again to a device still Downloaded with no result after the first. @default 3 */
  readonly maxExecuteResends?: number;
  /** Hears every job this executor moved to a terminal status (the block server revokes its token). */
  readonly onJobEnded?: (job: FirmwareJob) => void;
}

export type { DeviceCancel };

export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly job: FirmwareJob; readonly device: DeviceCancel }
  /** The job is past the point of no return (UPDATING or later) or already ended. */
  | { readonly kind: 'notCancellable'; readonly status: JobStatus }
  | { readonly kind: 'notFound' };


/** After the last block of an image went out, how long to wait for the device's Downloaded before reading it. */
const LAST_BLOCK_CHECK_MS = 1000;

/** Below this many jobs under way, they are read every tick. */
const FEW_UNDER_WAY = 500;

/** READY jobs read per tick: several times what the executor starts at once. */
const READY_PAGE = 1000;

export class JobExecutor {
  private readonly active: ActiveJobs;
  private readonly install: InstallSteps;
  private readonly busy = new Set<string>();
  private readonly semaphore: Semaphore;
  private readonly delivery: PackageDelivery;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = false;
  private lastUnderWayScan = 0;
  /** Jobs under way at the last scan of them. */
  private underWayCount = 0;
  /**
   * Jobs this task took over from another because their device downloads through it; promises
   * nobody awaited that rejected (a bug or a store outage: logged and counted, never unhandled);
   * jobs this task failed at their deadline.
   */
  readonly stats = { takenOver: 0, unexpectedRejections: 0, deadlinesEnforced: 0 };
  /** Steps running now (what a drain waits for). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: JobExecutorOptions) {
    this.semaphore = new Semaphore(options.concurrency ?? 64);
    this.now = options.clock ?? Date.now;
    this.active = new ActiveJobs(this.now);
    this.install = new InstallSteps(options, {
      active: this.active,
      now: () => this.now(),
      stateCheckIntervalMs: () => this.stateCheckIntervalMs(),
      reachableDevice: (job) => this.reachableDevice(job),
      transition: (job, event, extra) => this.transition(job, event, extra),
      fail: (job, failure, extra) => this.fail(job, failure, extra),
      settle: (promise, what) => this.settle(promise, what),
      readFirmware: (device) => this.readFirmware(device),
      observe: (entry, device, path, matters, onChange) => this.observe(entry, device, path, matters, onChange),
    });
    this.delivery = new PackageDelivery({
      devices: options.devices,
      packageUriBase: options.packageUriBase,
      ...(options.securePackageUriBase === undefined ? {} : { securePackageUriBase: options.securePackageUriBase }),
      logger: options.logger,
      ...(options.images === undefined ? {} : { images: options.images }),
      ...(options.pusher === undefined ? {} : { pusher: options.pusher }),
      ...(options.httpPackages === undefined ? {} : { httpPackages: options.httpPackages }),
    });
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.settle(this.tick(), 'job poll'), this.options.pollIntervalMs);
  }

  /**
   * Graceful shutdown, first half: takes no new step, and waits up to `graceMs` for the steps in
   * flight to finish (their table writes land; nothing is left half done). Returns how many were
   * still running when the grace ran out. The jobs stay owned by this task until their devices
   * speak to another one, which claims them (onRegistration, reachableDevice).
   */
  async drain(graceMs: number): Promise<number> {
    this.stopped = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.inFlight]), graceOver]);
    clearTimeout(timer);
    return this.inFlight.size;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.active.clear();
    this.options.pusher?.stop();
  }

  /** One pass over the work this task owns. Public so tests and the local stack can step it. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const { jobs, taskId } = this.options;
      // Jobs to start are read every tick, a page of them (more than the executor can start at
      // once); jobs under way, mostly moved by notifications and registrations, every tick while
      // there are few, else every few ticks: a task with 10,000 jobs does not read them all twice
      // a second.
      const scanUnderWay = this.underWayCount < FEW_UNDER_WAY || this.now() - this.lastUnderWayScan >= (this.options.underWayScanMs ?? this.options.pollIntervalMs * 4);
      if (scanUnderWay) this.lastUnderWayScan = this.now();
      const underWay = (status: JobStatus) => (scanUnderWay ? jobs.listForOwner(taskId, status) : Promise.resolve([]));
      let [ready, downloading, downloaded, updating, verifying] = await Promise.all([
        jobs.listForOwner(taskId, JobStatus.Ready, { limit: READY_PAGE, dueBy: this.now() }),
        underWay(JobStatus.Downloading),
        underWay(JobStatus.Downloaded),
        underWay(JobStatus.Updating),
        underWay(JobStatus.Verifying),
      ]);
      if (scanUnderWay) this.underWayCount = downloading.length + downloaded.length + updating.length + verifying.length;
      const now = this.now();
      const work: Promise<unknown>[] = [];
      // Deadlines first: a job past its deadline fails now, whatever the workflow monitor's
      // back-off (it may not look for minutes); a job that expires takes no other step this tick.
      const expired = new Set<string>();
      for (const job of [...(ready ?? []), ...(downloading ?? []), ...(downloaded ?? []), ...(updating ?? []), ...(verifying ?? [])]) {
        const reason = deadlineReason(job, now);
        if (reason === undefined) continue;
        expired.add(keyOf(job));
        const expiring = this.expire(job, reason);
        // A drain waits for it like for any step: the write lands before the task stops.
        this.inFlight.add(expiring);
        work.push(expiring.finally(() => this.inFlight.delete(expiring)));
      }
      const live = (list: FirmwareJob[] | undefined): FirmwareJob[] => (list ?? []).filter((job) => !expired.has(keyOf(job)));
      [ready, downloading, downloaded, updating, verifying] = [live(ready), live(downloading), live(downloaded), live(updating), live(verifying)];
      for (const job of ready ?? []) if (isDue(job, now)) work.push(this.run(job, () => this.startDownload(job)));
      // A cancelled campaign marks downloads to undo: reset the device, then cancel the job.
      const cancelling = [...(downloading ?? []), ...(downloaded ?? [])].filter((job) => job.cancelRequested === true);
      for (const job of cancelling) work.push(this.cancelDownload(job, 'CAMPAIGN_CANCELLED'));
      for (const job of downloading ?? []) if (job.cancelRequested !== true && this.active.needsCheck(job, now, this.stateCheckIntervalMs())) work.push(this.run(job, () => this.checkState(job)));
      for (const job of downloaded ?? []) if (job.cancelRequested !== true && job.installRequested === true && isDue(job, now)) work.push(this.run(job, () => this.install.start(job)));
      for (const job of updating ?? []) work.push(this.run(job, () => this.install.checkUpdating(job)));
      for (const job of verifying ?? []) work.push(this.run(job, () => this.install.verify(job)));
      // Not awaited: a step waiting on an unreachable device (up to the request timeout) must not
      // hold up the next poll for every other device. Steps guard themselves (busy, semaphore).
      this.settle(Promise.all(work), 'job steps');
    } catch (error) {
      this.options.logger.error('job poll failed', { error });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * The last block of a job's image went out from this task. The device says Downloaded in a
   * notification, which may be lost (a non-confirmable one, a full socket buffer): if the job is
   * still downloading a moment later, its state is read then rather than at the next periodic check.
   */
  onLastBlockServed(job: Pick<FirmwareJob, 'campaignId' | 'endpoint'>): void {
    const entry = this.active.get(job);
    if (entry === undefined || this.stopped) return;
    setTimeout(() => {
      if (this.stopped || !this.active.isCurrent(entry) || entry.job.status !== JobStatus.Downloading) return;
      this.settle(
        this.run(entry.job, () => this.checkState(entry.job)).then((ran) => {
          if (!ran) entry.recheck = true;
        }),
        'last block check',
      );
    }, LAST_BLOCK_CHECK_MS).unref();
  }

  /**
   * A device reached this task without registering or updating (it pulls blocks here): its NLB
   * flow is here now, so this task owns its registration and its job, and polls the job.
   */
  async takeOver(job: FirmwareJob, peer: Peer): Promise<void> {
    const { taskId } = this.options;
    if (job.ownerTask === taskId || isAttemptOver(job.status) || this.stopped) return;
    try {
      const device = await this.options.registrations.get(job.endpoint);
      if (device === undefined) return;
      if (device.ownerTask !== taskId) await this.options.registrations.update(device.endpoint, device.registrationId, { ownerTask: taskId, address: peer.address, port: peer.port });
      if (await this.options.jobs.annotate(job, { ownerTask: taskId })) {
        this.stats.takenOver++;
        this.options.logger.info('took over a job from its download requests', { endpoint: job.endpoint, from: job.ownerTask });
      }
    } catch (error) {
      this.options.logger.warn('could not take over a job', { endpoint: job.endpoint, error });
    }
  }

  /** Registration events: takeover of jobs, verification after the reboot, recovery mid-download. */
  async onRegistration(event: RegistrationEvent): Promise<void> {
    if (event.kind === 'deregistered') return;
    const registration = event.registration;
    const jobs = await this.options.jobs.listForEndpoint(registration.endpoint);
    await Promise.all(
      jobs.map(async (job) => {
        if (isAttemptOver(job.status)) return;
        let current = job;
        if (job.ownerTask !== this.options.taskId && job.status !== JobStatus.Pending) {
          const claimed = await this.options.jobs.annotate(job, { ownerTask: this.options.taskId });
          if (!claimed) return;
          current = { ...job, ownerTask: this.options.taskId };
        }
        const now = this.now();
        // The device is awake now (what a queue-mode device waits for): start what is due.
        if (current.status === JobStatus.Ready && isDue(current, now)) await this.run(current, () => this.startDownload(current));
        else if (current.status === JobStatus.Downloaded && current.installRequested === true && isDue(current, now)) await this.run(current, () => this.install.start(current));
        if (event.kind !== 'registered') return;
        // A new registration means a new session: observations from the old one are gone.
        this.active.forget(current);
        if (current.status === JobStatus.Updating) await this.run(current, () => this.install.verify(current));
        else if (current.status === JobStatus.Downloading) await this.run(current, () => this.checkState(current));
      }),
    );
  }

  /**
   * Cancels a job that has not started to install (object 5 v1.1): Execute /5/0/10 on the device,
   * or, when it has no Cancel (4.04/4.05), write an empty Package URI (an empty Package for a
   * push), which resets object 5 to Idle; then the job goes CANCELLED. A device that cannot be
   * reached is not waited for: its token stops working, and nothing installs without Execute.
   */
  async cancelDownload(job: FirmwareJob, reason = 'CANCELLED'): Promise<CancelOutcome> {
    const key = `${keyOf(job)}#${job.attempt}`;
    this.delivery.abortPush(job);
    this.active.forget(job);
    for (let attempt = 0; attempt < 3; attempt++) {
      const latest = await this.options.jobs.get(job.campaignId, job.jobKey);
      if (latest === undefined) return { kind: 'notFound' };
      if (!canApply(latest.status, 'cancelled')) return { kind: 'notCancellable', status: latest.status };
      // Keep the executor's own steps off the job meanwhile (its notifications, its tick).
      const owned = !this.busy.has(key);
      if (owned) this.busy.add(key);
      try {
        const device = latest.status === JobStatus.Downloading || latest.status === JobStatus.Downloaded ? await this.cancelOnDevice(latest) : 'notContacted';
        const cancelled = await this.transition(latest, { kind: 'cancelled', reason });
        if (cancelled !== undefined) return { kind: 'cancelled', job: cancelled, device };
      } finally {
        if (owned) this.busy.delete(key);
      }
    }
    const latest = await this.options.jobs.get(job.campaignId, job.jobKey);
    return latest === undefined ? { kind: 'notFound' } : { kind: 'notCancellable', status: latest.status };
  }

  private async cancelOnDevice(job: FirmwareJob): Promise<DeviceCancel> {
    const device = await this.reachableDevice(job);
    if (device === undefined) return 'notContacted';
    try {
      return await cancelOnDevice(this.options.devices, device, job.delivery);
    } catch (error) {
      this.options.logger.warn('cancel did not reach the device', { endpoint: job.endpoint, error });
      return 'notContacted';
    }
  }

  private stateCheckIntervalMs(): number {
    return this.options.stateCheckIntervalMs ?? 15_000;
  }

  /** Runs one step of a job unless another step of it is running; false when it did not run. */
  private async run(job: FirmwareJob, step: () => Promise<void>): Promise<boolean> {
    // Per attempt: a step stuck on an unreachable device (up to the request timeout) must not
    // hold back the retry the campaign scheduled; the stale step's writes fail on the version.
    const key = `${keyOf(job)}#${job.attempt}`;
    if (this.busy.has(key) || this.stopped) return false;
    this.busy.add(key);
    const running = this.semaphore.use(step);
    this.inFlight.add(running);
    try {
      await running;
    } catch (error) {
      this.options.logger.warn('job step failed', { campaignId: job.campaignId, endpoint: job.endpoint, status: job.status, error });
    } finally {
      this.busy.delete(key);
      this.inFlight.delete(running);
    }
    return true;
  }

  private async startDownload(job: FirmwareJob): Promise<void> {
    const device = await this.reachableDevice(job);
    if (device === undefined) return;
    const { snapshot, choices } = await this.delivery.choices(device);
    const first = choices[0];
    if (first === undefined) {
      await this.fail(job, { reason: NO_DELIVERY_REASON, detail: `protocols [${(snapshot.protocols ?? []).join(',')}], delivery method ${String(snapshot.deliveryMethod)}` });
      return;
    }
    await this.delivery.writePreferences(device, job);
    const started = await this.transition(job, { kind: 'downloadStarted', delivery: first.kind, deadline: job.deadline ?? this.now() + 3_600_000 });
    if (started === undefined) return;
    const entry = this.active.begin(started, false);
    await this.observeState(entry, device);
    try {
      const outcome = await this.delivery.start(started, device, choices, (end) => this.settle(this.onPushEnded(started, end), 'push ended'));
      switch (outcome.kind) {
        case 'started':
          entry.accepting = true;
          entry.lastCheck = this.now();
          if (outcome.choice.kind !== first.kind && (await this.options.jobs.annotate(started, { delivery: outcome.choice.kind }))) {
            entry.job = { ...entry.job, delivery: outcome.choice.kind };
          }
          // A fast download may have ended while the Package URI write was being answered.
          if (entry.recheck) await this.checkState(entry.job);
          return;
        case 'refused':
          await this.fail(entry.job, { reason: 'PACKAGE_URI_REJECTED', detail: outcome.code });
          return;
        case 'imageUnavailable':
          await this.fail(entry.job, { reason: outcome.reason, detail: `image ${job.imageId} is missing or does not match its verified SHA-256` });
          return;
      }
    } catch (error) {
      await this.retryOrFail(entry.job, error instanceof DeviceTimeoutError ? 'DEVICE_TIMEOUT' : 'DEVICE_ERROR', error);
    }
  }

  /** A push ended: the device itself reports Downloaded (or a result) after the last block. */
  private async onPushEnded(job: FirmwareJob, end: PushEnd): Promise<void> {
    if (end.kind === 'aborted' || end.kind === 'alreadyPushing') return;
    const latest = await this.options.jobs.get(job.campaignId, job.jobKey);
    if (latest === undefined || latest.status !== JobStatus.Downloading) return;
    switch (end.kind) {
      case 'done':
        if (!(await this.run(latest, () => this.checkState(latest)))) this.active.markRecheck(latest);
        return;
      case 'imageUnavailable':
        await this.fail(latest, { reason: await this.delivery.unavailableReason(latest.imageId), detail: `image ${latest.imageId} is missing or does not match its verified SHA-256` });
        return;
      case 'tooLarge':
        await this.fail(latest, { reason: 'PACKAGE_TOO_LARGE', ...(end.maxBytes === undefined ? {} : { detail: `the device takes at most ${end.maxBytes} bytes` }) });
        return;
      case 'refused':
        // 4.08: the device missed a block; another attempt may go through.
        await this.retryOrFail(latest, end.code === '4.08' ? 'PUSH_INCOMPLETE' : 'PUSH_REFUSED', end.code);
        return;
      case 'error':
        await this.retryOrFail(latest, end.error instanceof DeviceTimeoutError ? 'DEVICE_TIMEOUT' : 'DEVICE_ERROR', end.error);
        return;
    }
  }

  /**
   * Fails a job past its deadline with a conditional transition on what was listed: not through
   * `run`, so a step stuck on an unreachable device (up to a CoAP exchange lifetime) does not
   * hold the deadline back; that step's own writes then fail on the version.
   */
  private async expire(job: FirmwareJob, reason: 'DOWNLOAD_TIMEOUT' | 'INSTALL_TIMEOUT'): Promise<void> {
    this.active.forget(job);
    this.delivery.abortPush(job);
    const failed = await this.transition(job, { kind: 'failed', reason });
    if (failed === undefined) return;
    this.stats.deadlinesEnforced++;
    this.options.logger.info('job failed at its deadline', { campaignId: job.campaignId, endpoint: job.endpoint, reason, deadline: job.deadline, lateByMs: this.now() - (job.deadline ?? 0) });
  }

  /**
   * Runs a promise nobody awaits. Its rejection is unexpected (steps catch what they expect):
   * logged once, here, and counted, so a store outage or a bug shows in the edge's health instead
   * of an unhandled rejection, which ends a Node 20 process.
   */
  private settle(promise: Promise<unknown>, what: string): void {
    promise.catch((error: unknown) => {
      this.stats.unexpectedRejections++;
      this.options.logger.error('unexpected failure in background work', { what, error });
    });
  }

  /** Fallback for lost notifications: read object 5 of a download in progress. */
  private async checkState(job: FirmwareJob): Promise<void> {
    const device = await this.reachableDevice(job);
    if (device === undefined) return;
    const entry = this.active.checked(job);
    if (entry.observation === undefined) await this.observeState(entry, device);
    const snapshot = await this.readFirmware(device);
    await this.applyDownloadVerdict(entry, downloadVerdict(snapshot), snapshot);
  }

  private async observeState(entry: ActiveJob, device: DeviceRegistration): Promise<void> {
    await this.observe(entry, device, '/5/0/3', () => true, () => this.checkState(entry.job));
  }

  /**
   * Observes a resource of object 5 for the active job; a notification that `matters` makes the
   * job's state be read (at once, or on the next tick if a step of the job is running).
   */
  private async observe(entry: ActiveJob, device: DeviceRegistration, path: string, matters: (value: unknown) => boolean, onChange: () => Promise<void>): Promise<void> {
    try {
      entry.observation = await this.options.devices.observe(device, path, (value) => {
        if (!matters(value) || !this.active.isCurrent(entry)) return;
        if (!entry.accepting) {
          // News before the step that set the observation up is done: read the state after it.
          entry.recheck = true;
          return;
        }
        this.settle(
          this.run(entry.job, onChange).then((ran) => {
            if (!ran) entry.recheck = true;
          }),
          `notification of ${path}`,
        );
      });
      // The job moved on (or was forgotten) while the observation was being set up.
      if (!this.active.isCurrent(entry)) entry.observation.cancel();
    } catch (error) {
      this.options.logger.debug(`observe ${path} failed; relying on reads`, { endpoint: device.endpoint, error });
    }
  }

  private async applyDownloadVerdict(entry: ActiveJob, verdict: FirmwareVerdict, snapshot: FirmwareObjectSnapshot): Promise<void> {
    const job = entry.job;
    entry.lastCheck = this.now();
    entry.recheck = false;
    if (job.status !== JobStatus.Downloading || !entry.accepting) return;
    switch (verdict.kind) {
      case 'downloaded': {
        const next = await this.transition(job, { kind: 'downloaded' }, changeTimeOf(snapshot));
        if (next !== undefined) entry.job = next;
        return;
      }
      case 'failed':
        await this.fail(job, { reason: verdict.reason, updateResult: verdict.updateResult }, changeTimeOf(snapshot));
        return;
      case 'cancelled':
        this.active.forget(job);
        await this.transition(job, { kind: 'cancelled', reason: updateResultReason(verdict.updateResult) }, { ...changeTimeOf(snapshot), updateResult: verdict.updateResult });
        return;
      default:
        return;
    }
  }

  private readFirmware(device: DeviceRegistration): Promise<FirmwareObjectSnapshot> {
    return readFirmwareObject(this.options.devices, device);
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

  private async retryOrFail(job: FirmwareJob, reason: FailureReason, cause: unknown): Promise<void> {
    this.active.forget(job);
    const latest = await this.options.jobs.get(job.campaignId, job.jobKey);
    // Only the download this step drove: a step's late error must not fail a job that another
    // step moved on meanwhile (downloaded, installing: failing it there got it retried from READY
    // by the workflow, and the device told to install a second time).
    if (latest === undefined || latest.status !== JobStatus.Downloading || latest.attempt !== job.attempt) return;
    if (latest.attempt + 1 < (this.options.maxAttempts ?? 3)) {
      const backoff = (this.options.retryBackoffMs ?? 2_000) * 2 ** latest.attempt;
      await this.transition(latest, { kind: 'retry', reason, notBefore: this.now() + backoff });
      return;
    }
    await this.fail(latest, { reason, detail: cause instanceof Error ? cause.message : String(cause) });
  }

  private async fail(job: FirmwareJob, failure: JobFailure, extra: Readonly<Record<string, number>> = {}): Promise<void> {
    const { reason, updateResult, detail, reportedVersion } = failure;
    this.active.forget(job);
    this.delivery.abortPush(job);
    this.options.logger.info('job failed', { campaignId: job.campaignId, endpoint: job.endpoint, reason, updateResult, detail, reportedVersion });
    await this.transition(job, { kind: 'failed', reason, ...(updateResult === undefined ? {} : { updateResult }), ...(reportedVersion === undefined ? {} : { reportedVersion }) }, extra);
  }

  private async transition(job: FirmwareJob, event: JobEvent, extra: Readonly<Record<string, string | number | boolean>> = {}): Promise<FirmwareJob | undefined> {
    const result = await this.options.jobs.transition(job, event, this.now(), extra);
    if (!result.success) {
      this.options.logger.debug('transition not applied', { endpoint: job.endpoint, event: event.kind, reason: result.error.message });
      return undefined;
    }
    if (isAttemptOver(result.data.status)) this.options.onJobEnded?.(result.data);
    return result.data;
  }
}

/** A READY job after its retry backoff, or a DOWNLOADED one after its deferral wait. */
function isDue(job: FirmwareJob, now: number): boolean {
  return job.notBefore === undefined || job.notBefore <= now;
}
