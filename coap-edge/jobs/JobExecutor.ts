/**
 * Drives each device's firmware job through object 5 (ARCHITECTURE.md, "The edge executes jobs"):
 * each tick takes the jobs this task owns (OwnedJobs: listed, read only where changed), fails
 * those past their deadline, and runs the step each one needs (StepRunner: one step per job at a
 * time); registration events and served blocks bring steps forward. The steps themselves:
 * DownloadSteps, InstallSteps, JobCancellation, JobTakeOver, on the shared JobSteps. Every step is
 * a conditional transition in the job store, so two tasks, a restart or a duplicate notification
 * can never move a job twice.
 */
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { deadlineReason } from '../../core/jobs/jobDeadline.ts';
import { JobStatus, isAttemptOver } from '../../core/jobs/jobStateMachine.ts';
import type { RegistrationEvent } from '../registration/RegistrationService.ts';
import { ActiveJobs, keyOf } from './ActiveJobs.ts';
import { CohortInstalls } from './CohortInstalls.ts';
import { DownloadSteps } from './DownloadSteps.ts';
import { resolveSettings, type ExecutorSettings, type JobExecutorOptions } from './executorSettings.ts';
import { InstallSteps } from './InstallSteps.ts';
import { JobCancellation, type CancelOutcome } from './JobCancellation.ts';
import { JobSteps } from './JobSteps.ts';
import { JobTakeOver } from './JobTakeOver.ts';
import { OwnedJobs } from './OwnedJobs.ts';
import { PackageDelivery } from './PackageDelivery.ts';
import { StepRunner, type ExecutorStats } from './StepRunner.ts';

export type { JobExecutorOptions } from './executorSettings.ts';
export type { CancelOutcome } from './JobCancellation.ts';
export type { DeviceCancel } from './deviceFirmware.ts';

/** After the last block of an image went out, how long to wait for the device's Downloaded before reading it. */
const LAST_BLOCK_CHECK_MS = 1000;

/** Below this many jobs owned, they are listed every tick. */
const FEW_OWNED = 500;

/** READY jobs handed to the steps per tick: several times what the executor starts at once. */
const READY_PAGE = 1000;

/** The jobs of one tick, by status. */
interface OwnedJobsByStatus {
  readonly ready: readonly FirmwareJob[];
  readonly downloading: readonly FirmwareJob[];
  readonly downloaded: readonly FirmwareJob[];
  readonly updating: readonly FirmwareJob[];
  readonly verifying: readonly FirmwareJob[];
}

export class JobExecutor {
  /** Take-overs, background rejections logged, deadlines enforced. */
  readonly stats: ExecutorStats = { takenOver: 0, unexpectedRejections: 0, deadlinesEnforced: 0 };
  private readonly settings: ExecutorSettings;
  private readonly active: ActiveJobs;
  private readonly runner: StepRunner;
  private readonly pusher: JobExecutorOptions['pusher'];
  private readonly steps: JobSteps;
  private readonly download: DownloadSteps;
  private readonly install: InstallSteps;
  private readonly cancellation: JobCancellation;
  private readonly owner: JobTakeOver;
  private readonly owned: OwnedJobs;
  private readonly installs: CohortInstalls;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastListing = Number.NEGATIVE_INFINITY;

  constructor(options: JobExecutorOptions) {
    this.owned = new OwnedJobs(options.jobs, options.taskId);
    // Every step reads and writes through the owned jobs, so the copies they hold stay current.
    const settings = resolveSettings({ ...options, jobs: this.owned.jobs });
    this.settings = settings;
    this.pusher = options.pusher;
    this.active = new ActiveJobs(settings.now);
    this.runner = new StepRunner(settings.concurrency, settings.logger, this.stats);
    const delivery = new PackageDelivery({
      devices: options.devices,
      packageUriBase: options.packageUriBase,
      ...(options.securePackageUriBase === undefined ? {} : { securePackageUriBase: options.securePackageUriBase }),
      logger: options.logger,
      ...(options.images === undefined ? {} : { images: options.images }),
      ...(options.pusher === undefined ? {} : { pusher: options.pusher }),
      ...(options.httpPackages === undefined ? {} : { httpPackages: options.httpPackages }),
    });
    this.steps = new JobSteps(settings, this.active, this.runner, delivery, this.stats);
    this.download = new DownloadSteps(settings, this.steps, this.active, this.runner, delivery);
    this.install = new InstallSteps(settings, this.steps, this.active, this.runner);
    this.cancellation = new JobCancellation(settings, this.steps, this.active, this.runner, delivery);
    this.owner = new JobTakeOver(settings, this.runner, this.stats);
    this.installs = new CohortInstalls(options.campaigns, options.registrations, settings.now, settings.pollIntervalMs);
  }

  start(): void {
    this.runner.resume();
    this.timer = setInterval(() => this.runner.settle(this.tick(), 'job poll'), this.settings.pollIntervalMs);
  }

  /**
   * Graceful shutdown, first half: takes no new step, and waits up to `graceMs` for the steps in
   * flight to finish (their table writes land; nothing is left half done). Returns how many were
   * still running when the grace ran out. The jobs stay owned by this task until their devices
   * speak to another one, which claims them (onRegistration, reachableDevice).
   */
  drain(graceMs: number): Promise<number> {
    clearInterval(this.timer);
    return this.runner.drain(graceMs);
  }

  stop(): void {
    this.runner.stop();
    clearInterval(this.timer);
    this.active.clear();
    this.pusher?.stop();
  }

  /** One pass over the work this task owns. Public so tests and the local stack can step it. */
  async tick(): Promise<void> {
    if (this.ticking || this.runner.isStopped) return;
    this.ticking = true;
    try {
      const listed = await this.listOwned();
      // A DOWNLOADED job installs once its cohort's install is requested (on the campaign), by a deadline.
      this.installs.nextPoll();
      const installBy = await this.installDeadlines(listed.downloaded);
      const now = this.settings.now();
      const work: Promise<unknown>[] = [];
      // Deadlines first: a job past its deadline fails now, whatever the workflow monitor's
      // back-off (it may not look for minutes); a job that expires takes no other step this tick.
      // A drain waits for the write like for any step: it lands before the task stops.
      const expired = new Set<string>();
      for (const job of Object.values(listed).flat()) {
        const reason = deadlineReason(job, now, installBy.get(keyOf(job)));
        if (reason === undefined) continue;
        expired.add(keyOf(job));
        work.push(this.runner.track(this.steps.expire(job, reason)));
      }
      const live = (list: readonly FirmwareJob[]): FirmwareJob[] => list.filter((job) => !expired.has(keyOf(job)));
      const [ready, downloading, downloaded, updating, verifying] = [live(listed.ready), live(listed.downloading), live(listed.downloaded), live(listed.updating), live(listed.verifying)];
      for (const job of this.toStart(ready, now)) work.push(this.runner.run(job, () => this.download.start(job)));
      // A cancelled campaign marks downloads to undo: reset the device, then cancel the job.
      for (const job of [...downloading, ...downloaded]) if (job.cancelRequested === true) work.push(this.cancelDownload(job, 'CAMPAIGN_CANCELLED'));
      for (const job of downloading) if (job.cancelRequested !== true && this.active.needsCheck(job, now, this.settings.stateCheckIntervalMs)) work.push(this.runner.run(job, () => this.download.checkState(job)));
      for (const job of downloaded) {
        const deadline = installBy.get(keyOf(job));
        if (job.cancelRequested !== true && deadline !== undefined && isDue(job, now)) work.push(this.runner.run(job, () => this.install.start(job, deadline)));
      }
      for (const job of updating) work.push(this.runner.run(job, () => this.install.checkUpdating(job)));
      for (const job of verifying) work.push(this.runner.run(job, () => this.install.verify(job)));
      // Not awaited: a step waiting on an unreachable device (up to the request timeout) must not
      // hold up the next poll for every other device. Steps guard themselves (busy, semaphore).
      this.runner.settle(Promise.all(work), 'job steps');
    } catch (error) {
      this.settings.logger.error('job poll failed', { error });
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
    if (entry === undefined || this.runner.isStopped) return;
    setTimeout(() => {
      if (this.runner.isStopped || !this.active.isCurrent(entry) || entry.job.status !== JobStatus.Downloading) return;
      this.runner.settle(
        this.runner.run(entry.job, () => this.download.checkState(entry.job)).then((ran) => {
          if (!ran) entry.recheck = true;
        }),
        'last block check',
      );
    }, LAST_BLOCK_CHECK_MS).unref();
  }

  /** The job a Package URI token opens, from the jobs this task holds when it can (OwnedJobs), else read. */
  findByToken(token: string): Promise<FirmwareJob | undefined> {
    return this.owned.jobs.findByToken(token);
  }

  /** A device pulls blocks of `job` from this task without having registered here: see JobTakeOver. */
  takeOver(job: FirmwareJob): Promise<void> {
    return this.owner.fromDownloadRequest(job);
  }

  /**
   * Registration events: takeover of jobs, verification after the reboot, recovery mid-download.
   * A device that was this task's already (its previous registration says so) is matched with the
   * job this task holds for it, when it holds one (a copy: every step on it is a conditional
   * write, and a stale one costs a refused write); else its jobs are read (byEndpoint): a device
   * that comes from another task may bring a job that task claimed, which a claim does not
   * version, so a copy held here would not show it.
   */
  async onRegistration(event: RegistrationEvent): Promise<void> {
    if (event.kind === 'deregistered') return;
    const endpoint = event.registration.endpoint;
    const held = event.previous?.ownerTask === this.settings.taskId ? this.owned.heldFor(endpoint) : [];
    const jobs = held.length > 0 ? held : await this.settings.jobs.listForEndpoint(endpoint);
    await Promise.all(
      jobs.map(async (job) => {
        if (isAttemptOver(job.status)) return;
        const current = await this.owner.fromRegistration(job);
        if (current === undefined) return;
        const now = this.settings.now();
        // The device is awake now (what a queue-mode device waits for): start what is due.
        if (current.status === JobStatus.Ready && isDue(current, now)) await this.runner.run(current, () => this.download.start(current));
        else if (current.status === JobStatus.Downloaded && current.cancelRequested !== true && isDue(current, now)) {
          const deadline = await this.installs.deadlineOf(current);
          if (deadline !== undefined && deadline >= now) await this.runner.run(current, () => this.install.start(current, deadline));
        }
        if (event.kind !== 'registered') return;
        // A new registration means a new session: observations from the old one are gone.
        this.active.forget(current);
        if (current.status === JobStatus.Updating) await this.runner.run(current, () => this.install.verify(current));
        else if (current.status === JobStatus.Downloading) await this.runner.run(current, () => this.download.checkState(current));
      }),
    );
  }

  /**
   * Cancels a job that has not started to install: see JobCancellation. Outside `run` (it must not
   * wait for a step stuck on the device), but a drain waits for it like for a step.
   */
  cancelDownload(job: FirmwareJob, reason = 'CANCELLED'): Promise<CancelOutcome> {
    return this.runner.track(this.cancellation.cancelDownload(job, reason));
  }

  /**
   * The owned jobs are listed every tick while the task owns few, else every few ticks (what the
   * workflow released or requested meanwhile waits that long); in between, the ticks work on the
   * jobs held (their deadlines included).
   */
  private async listOwned(): Promise<OwnedJobsByStatus> {
    const { now, underWayScanMs } = this.settings;
    const listing = this.owned.size < FEW_OWNED || now() - this.lastListing >= underWayScanMs;
    if (listing) this.lastListing = now();
    const jobs = listing ? await this.owned.list() : this.owned.current();
    const inStatus = (status: JobStatus): FirmwareJob[] => jobs.filter((job) => job.status === status);
    return {
      ready: inStatus(JobStatus.Ready),
      downloading: inStatus(JobStatus.Downloading),
      downloaded: inStatus(JobStatus.Downloaded),
      updating: inStatus(JobStatus.Updating),
      verifying: inStatus(JobStatus.Verifying),
    };
  }

  /**
   * The install deadlines of the DOWNLOADED jobs whose cohort's install is requested, campaign
   * RUNNING and install window open (core/jobs/cohortInstall.ts); the others wait, with no
   * deadline here, and so does a job whose cancel is requested.
   */
  private async installDeadlines(downloaded: readonly FirmwareJob[]): Promise<Map<string, number>> {
    const deadlines = new Map<string, number>();
    await Promise.all(
      downloaded.map(async (job) => {
        if (job.cancelRequested === true) return;
        const deadline = await this.installs.deadlineOf(job);
        if (deadline !== undefined) deadlines.set(keyOf(job), deadline);
      }),
    );
    return deadlines;
  }

  /**
   * READY jobs due now go to the steps only while the executor has room for more steps, a page at
   * a time: a backlog of thousands of queued steps is not built up.
   */
  private toStart(ready: readonly FirmwareJob[], now: number): FirmwareJob[] {
    if (this.runner.backlog >= this.settings.concurrency) return [];
    return ready.filter((job) => isDue(job, now)).slice(0, READY_PAGE);
  }
}

/** A READY job after its retry backoff, or a DOWNLOADED one after its deferral wait. */
function isDue(job: FirmwareJob, now: number): boolean {
  return job.notBefore === undefined || job.notBefore <= now;
}
