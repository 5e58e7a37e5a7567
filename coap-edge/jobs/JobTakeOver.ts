/**
 * Which edge task drives a job: the one that last heard from its device, since only that task can
 * reach the device through the NLB (its flow is sticky). A device that pulls blocks from this task
 * without registering here, or registers here, brings its jobs to this task with a conditional
 * `claim` of each; of two tasks claiming at once, one write lands.
 */
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus, isAttemptOver } from '../../core/jobs/jobStateMachine.ts';
import type { ExecutorSettings } from './executorSettings.ts';
import type { ExecutorStats, StepRunner } from './StepRunner.ts';

export class JobTakeOver {
  constructor(
    private readonly settings: ExecutorSettings,
    private readonly runner: Pick<StepRunner, 'isStopped'>,
    private readonly stats: ExecutorStats,
  ) {}

  /**
   * A device reached this task without registering or updating (it pulls blocks here): its NLB
   * flow is here now, so this task owns its registration and its job, and polls the job. The
   * registration keeps its address: a client may pull from a socket of its own (Zephyr's
   * firmware pull does), which answers no LwM2M request; its next Update moves it if it moved.
   */
  async fromDownloadRequest(job: FirmwareJob): Promise<void> {
    const { registrations, jobs, taskId, logger } = this.settings;
    if (job.ownerTask === taskId || isAttemptOver(job.status) || this.runner.isStopped) return;
    try {
      const device = await registrations.getWithoutTags(job.endpoint);
      if (device === undefined) return;
      if (device.ownerTask !== taskId) await registrations.update(device.endpoint, device.registrationId, { ownerTask: taskId });
      if (await jobs.claim(job, taskId)) {
        this.stats.takenOver++;
        logger.info('took over a job from its download requests', { endpoint: job.endpoint, from: job.ownerTask });
      }
    } catch (error) {
      logger.warn('could not take over a job', { endpoint: job.endpoint, error });
    }
  }

  /**
   * The device registered or updated here: its job, owned by this task from now (a PENDING job
   * is the workflow's to schedule). Undefined when another writer moved the job first.
   */
  async fromRegistration(job: FirmwareJob): Promise<FirmwareJob | undefined> {
    const { jobs, taskId } = this.settings;
    if (job.ownerTask === taskId || job.status === JobStatus.Pending) return job;
    return (await jobs.claim(job, taskId)) ? { ...job, ownerTask: taskId } : undefined;
  }
}
