/**
 * The parts of the job executor, wired as JobExecutor wires them, on a real DynamoDbJobStore and
 * DynamoDbRegistrationStore on dynalite, a scripted device and a clock the test moves. The tests
 * call the steps directly and await them: a timing bug fails a named test, not a UDP scenario.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { startEmulators, type Emulators } from '../../../local/emulators.ts';
import { DynamoDbJobStore } from '../../../store/DynamoDbJobStore.ts';
import type { RegistrationStore } from '../../../core/ports/RegistrationStore.ts';
import type { CampaignStore } from '../../../core/ports/CampaignStore.ts';
import { CampaignStatus, type Campaign } from '../../../core/campaign/Campaign.ts';
import type { DeviceRegistration } from '../../../core/devices/DeviceRegistration.ts';
import { jobKeyFor, type FirmwareJob } from '../../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { ActiveJobs } from '../../../coap-edge/jobs/ActiveJobs.ts';
import { DownloadSteps } from '../../../coap-edge/jobs/DownloadSteps.ts';
import { resolveSettings, type ExecutorSettings, type JobExecutorOptions } from '../../../coap-edge/jobs/executorSettings.ts';
import { InstallSteps } from '../../../coap-edge/jobs/InstallSteps.ts';
import { JobCancellation } from '../../../coap-edge/jobs/JobCancellation.ts';
import { JobExecutor } from '../../../coap-edge/jobs/JobExecutor.ts';
import { JobSteps } from '../../../coap-edge/jobs/JobSteps.ts';
import { JobTakeOver } from '../../../coap-edge/jobs/JobTakeOver.ts';
import { PackageDelivery } from '../../../coap-edge/jobs/PackageDelivery.ts';
import { StepRunner, type ExecutorStats } from '../../../coap-edge/jobs/StepRunner.ts';
import { createLogger } from '../../../coap-edge/logger.ts';
import { ScriptedDevice } from './ScriptedDevice.ts';
import { packageTokenFields } from '../../../core/jobs/packageToken.ts';

export const TASK = 'task-a';
export const OTHER_TASK = 'task-b';
export const T0 = Date.UTC(2026, 0, 1);

/** The tables on dynalite, started once per test file. */
export interface JobTables {
  readonly jobs: DynamoDbJobStore;
  readonly registrations: RegistrationStore;
  readonly campaigns: CampaignStore;
  stop(): Promise<void>;
}

export async function startJobTables(): Promise<JobTables> {
  const emulators: Emulators = await startEmulators();
  return {
    jobs: new DynamoDbJobStore(emulators.stores.clients.dynamo, emulators.config.tables.jobs),
    registrations: emulators.stores.registrations,
    campaigns: emulators.stores.campaigns,
    stop: () => emulators.stop(),
  };
}

/** The executor's parts for one test, and what the test controls: the device and the clock. */
export interface JobParts {
  readonly device: ScriptedDevice;
  readonly clock: { now: number };
  readonly settings: ExecutorSettings;
  readonly stats: ExecutorStats;
  readonly active: ActiveJobs;
  readonly runner: StepRunner;
  readonly steps: JobSteps;
  readonly download: DownloadSteps;
  readonly install: InstallSteps;
  readonly cancellation: JobCancellation;
  readonly takeOver: JobTakeOver;
  /** Jobs the steps moved to a terminal status or FAILING (what the block server hears). */
  readonly ended: FirmwareJob[];
}

export function jobParts(tables: JobTables, overrides: Partial<JobExecutorOptions> = {}): JobParts {
  const device = new ScriptedDevice();
  const clock = { now: T0 };
  const ended: FirmwareJob[] = [];
  const options: JobExecutorOptions = {
    jobs: tables.jobs,
    campaigns: tables.campaigns,
    registrations: tables.registrations,
    devices: device,
    taskId: TASK,
    packageUriBase: 'coap://edge.test:5683',
    pollIntervalMs: 1_000,
    logger: createLogger('job-steps-test', 'silent'),
    clock: () => clock.now,
    onJobEnded: (job) => ended.push(job),
    ...overrides,
  };
  const settings = resolveSettings(options);
  const stats: ExecutorStats = { takenOver: 0, unexpectedRejections: 0, deadlinesEnforced: 0 };
  const active = new ActiveJobs(settings.now);
  const runner = new StepRunner(settings.concurrency, settings.logger, stats);
  const delivery = new PackageDelivery({ devices: options.devices, packageUriBase: options.packageUriBase, logger: options.logger });
  const steps = new JobSteps(settings, active, runner, delivery, stats);
  return {
    device,
    clock,
    settings,
    stats,
    active,
    runner,
    steps,
    download: new DownloadSteps(settings, steps, active, runner, delivery),
    install: new InstallSteps(settings, steps, active, runner),
    cancellation: new JobCancellation(settings, steps, active, runner, delivery),
    takeOver: new JobTakeOver(settings, runner, stats),
    ended,
  };
}

/** Never ticks by itself: the test steps the executor. */
const BY_HAND = 3_600_000;

/**
 * A whole executor on the tables, a scripted device and the clock `now`; it ticks only when the
 * test says. A tick takes every job of its task: a test that ticks gives its jobs a task of their own.
 */
export function jobExecutor(tables: JobTables, device: ScriptedDevice, now: () => number, taskId = TASK, overrides: Partial<JobExecutorOptions> = {}): JobExecutor {
  return new JobExecutor({
    jobs: tables.jobs,
    campaigns: tables.campaigns,
    registrations: tables.registrations,
    devices: device,
    taskId,
    packageUriBase: 'coap://edge.test:5683',
    pollIntervalMs: BY_HAND,
    logger: createLogger('job-executor-test', 'silent'),
    clock: now,
    ...overrides,
  });
}

/** The device registered with `ownerTask` just now (awake, alive). */
export async function registerDevice(tables: JobTables, endpoint: string, at: number, extra: Partial<DeviceRegistration> = {}): Promise<DeviceRegistration> {
  const registration: DeviceRegistration = {
    endpoint,
    registrationId: randomUUID(),
    address: '127.0.0.1',
    port: 56830,
    lifetimeSeconds: 86_400,
    lwm2mVersion: '1.1',
    binding: 'U',
    queueMode: false,
    objectLinks: ['/3/0', '/5/0'],
    supportedFormats: [],
    ownerTask: TASK,
    registeredAt: at,
    lastSeen: at,
    ...extra,
  };
  await tables.registrations.put(registration);
  return registration;
}

/** A READY job owned by this task, as the workflow schedules it. */
export async function readyJob(tables: JobTables, endpoint: string, at: number, extra: Partial<FirmwareJob> = {}): Promise<FirmwareJob> {
  const campaignId = `campaign-${randomUUID()}`;
  const job: FirmwareJob = {
    campaignId,
    jobKey: jobKeyFor(0, endpoint),
    endpoint,
    cohort: 0,
    status: JobStatus.Ready,
    version: 1,
    attempt: 0,
    imageId: 'image-1',
    targetVersion: '2.0.0',
    ...packageTokenFields({ campaignId, jobKey: jobKeyFor(0, endpoint) }, randomBytes(12).toString('base64url')),
    ownerTask: TASK,
    deadline: at + 600_000,
    createdAt: at,
    updatedAt: at,
    history: [],
    ...extra,
  };
  await tables.jobs.createJobs([job]);
  return job;
}

/** The job as stored now. */
export async function stored(tables: JobTables, job: FirmwareJob): Promise<FirmwareJob> {
  const current = await tables.jobs.get(job.campaignId, job.jobKey);
  if (current === undefined) throw new Error(`job of ${job.endpoint} is gone`);
  return current;
}

/**
 * The campaign of `job`, RUNNING, with its cohort's install requested at `at` (what the workflow's
 * install phase writes: core/jobs/cohortInstall.ts); `extra` changes it (a window, a status).
 */
export async function requestCohortInstall(tables: Pick<JobTables, 'campaigns'>, job: Pick<FirmwareJob, 'campaignId' | 'cohort' | 'imageId' | 'targetVersion'>, at: number, extra: Partial<Campaign> = {}): Promise<Campaign> {
  const campaign: Campaign = {
    campaignId: job.campaignId,
    name: `campaign of ${job.campaignId}`,
    imageId: job.imageId,
    target: {},
    cohortPercentages: [100],
    pollSeconds: 30,
    downloadTimeoutSeconds: 600,
    installTimeoutSeconds: 600,
    abortFailurePercent: 100,
    status: CampaignStatus.Running,
    targetVersion: job.targetVersion,
    installRequestedAt: { [String(job.cohort)]: at },
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
  await tables.campaigns.create(campaign);
  return campaign;
}
