/**
 * The job executor's options as its callers give them, and the settings its parts run on: every
 * default applied once, here, so no step carries a `?? 15_000` of its own.
 */
import { QUEUE_MODE_AWAKE_MS } from '../../core/devices/DeviceRequest.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import type { CampaignStore } from '../../core/ports/CampaignStore.ts';
import type { JobStore } from '../../core/ports/JobStore.ts';
import type { RegistrationStore } from '../../core/ports/RegistrationStore.ts';
import type { ImageCache } from '../firmware/ImageCache.ts';
import type { PackagePusher } from '../firmware/PackagePusher.ts';
import type { Logger } from '../logger.ts';
import type { FirmwareDevices } from './deviceFirmware.ts';
import type { HttpPackageSource } from './PackageDelivery.ts';

export interface JobExecutorOptions {
  readonly jobs: JobStore;
  /** Where a cohort's install request is read (the campaign item: core/jobs/cohortInstall.ts). */
  readonly campaigns: Pick<CampaignStore, 'get'>;
  readonly registrations: RegistrationStore;
  /** The device operations of object 5 (the edge's DeviceClient). */
  readonly devices: FirmwareDevices;
  readonly taskId: string;
  /** Base of Package URIs as devices must see it, e.g. coap://fota.example.com:5683 */
  readonly packageUriBase: string;
  /** Base of CoAPS Package URIs (coaps://host:5684), for devices registered over DTLS. */
  readonly securePackageUriBase?: string;
  readonly pollIntervalMs: number;
  /** How long a download or an install may go without news before the device is read again. @default 15 s */
  readonly stateCheckIntervalMs?: number;
  /** Attempts of a download the edge retries itself (device timeouts, refused pushes). @default 3 */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubled for each further one. @default 2 s */
  readonly retryBackoffMs?: number;
  /** Job steps running at once. @default 64 */
  readonly concurrency?: number;
  readonly logger: Logger;
  /** @default Date.now */
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
  /** How often the owned jobs are listed once the task owns many (500 or more; fewer are listed every tick). @default 4 poll intervals */
  readonly underWayScanMs?: number;
  /** Execute Updates sent again to a device still Downloaded with no result after the first. @default 3 */
  readonly maxExecuteResends?: number;
  /** Hears every job this executor moved to a terminal status (the block server revokes its token). */
  readonly onJobEnded?: (job: FirmwareJob) => void;
}

/** What the executor's parts run on: the options with every default applied. */
export interface ExecutorSettings {
  readonly jobs: JobStore;
  readonly registrations: RegistrationStore;
  readonly devices: FirmwareDevices;
  readonly taskId: string;
  readonly logger: Logger;
  readonly now: () => number;
  readonly pollIntervalMs: number;
  readonly stateCheckIntervalMs: number;
  readonly maxAttempts: number;
  readonly retryBackoffMs: number;
  readonly concurrency: number;
  readonly queueModeAwakeMs: number;
  readonly deferRetryMs: number;
  readonly maxDeferrals: number;
  readonly underWayScanMs: number;
  readonly maxExecuteResends: number;
  /** The deadline of a download or an install whose job carries none (the workflow always sets one). */
  readonly fallbackDeadlineMs: number;
  readonly onJobEnded: (job: FirmwareJob) => void;
}

export function resolveSettings(options: JobExecutorOptions): ExecutorSettings {
  return {
    jobs: options.jobs,
    registrations: options.registrations,
    devices: options.devices,
    taskId: options.taskId,
    logger: options.logger,
    now: options.clock ?? Date.now,
    pollIntervalMs: options.pollIntervalMs,
    stateCheckIntervalMs: options.stateCheckIntervalMs ?? 15_000,
    maxAttempts: options.maxAttempts ?? 3,
    retryBackoffMs: options.retryBackoffMs ?? 2_000,
    concurrency: options.concurrency ?? 64,
    queueModeAwakeMs: options.queueModeAwakeMs ?? QUEUE_MODE_AWAKE_MS,
    deferRetryMs: options.deferRetryMs ?? 60_000,
    maxDeferrals: options.maxDeferrals ?? 5,
    underWayScanMs: options.underWayScanMs ?? options.pollIntervalMs * 4,
    maxExecuteResends: options.maxExecuteResends ?? 3,
    fallbackDeadlineMs: 3_600_000,
    onJobEnded: options.onJobEnded ?? (() => undefined),
  };
}
