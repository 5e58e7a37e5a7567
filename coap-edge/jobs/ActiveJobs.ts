/**
 * What an edge task holds in memory for each job it is driving on a device: the observation of
 * object 5, when it last read the device, and whether news came while a step of the job ran. The
 * job itself lives in DynamoDB; an entry is only a cache of the device's side, lost on restart
 * (the executor's periodic reads recover from that).
 */
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import type { Observation } from '../transport/CoapTransport.ts';

export interface ActiveJob {
  job: FirmwareJob;
  observation?: Observation;
  lastCheck: number;
  /** State reports count only once the delivery started: before that, /5/0 shows the last attempt. */
  accepting: boolean;
  /** A notification arrived while a step of the job ran: read the device on the next tick. */
  recheck: boolean;
}

export function keyOf(job: Pick<FirmwareJob, 'campaignId' | 'endpoint'>): string {
  return `${job.campaignId}/${job.endpoint}`;
}

export class ActiveJobs {
  private readonly entries = new Map<string, ActiveJob>();

  constructor(private readonly now: () => number) {}

  get(job: Pick<FirmwareJob, 'campaignId' | 'endpoint'>): ActiveJob | undefined {
    return this.entries.get(keyOf(job));
  }

  /** A fresh entry for a step that starts something on the device (a download, an install). */
  begin(job: FirmwareJob, accepting: boolean): ActiveJob {
    const entry: ActiveJob = { job, lastCheck: this.now(), accepting, recheck: false };
    this.entries.set(keyOf(job), entry);
    return entry;
  }

  /** The job's entry, created if missing, marked as read now. */
  checked(job: FirmwareJob): ActiveJob {
    const entry = this.entries.get(keyOf(job)) ?? { job, lastCheck: 0, accepting: true, recheck: false };
    entry.job = job;
    entry.lastCheck = this.now();
    entry.recheck = false;
    this.entries.set(keyOf(job), entry);
    return entry;
  }

  /** Whether the entry is still the one driving its job (not forgotten or replaced since). */
  isCurrent(entry: ActiveJob): boolean {
    return this.entries.get(keyOf(entry.job)) === entry;
  }

  markRecheck(job: FirmwareJob): void {
    const entry = this.entries.get(keyOf(job));
    if (entry !== undefined) entry.recheck = true;
  }

  /** Whether the device must be read: news came in, or nothing was heard for `intervalMs`. */
  needsCheck(job: FirmwareJob, now: number, intervalMs: number): boolean {
    const entry = this.entries.get(keyOf(job));
    if (entry === undefined) return true;
    entry.job = job;
    return entry.recheck || now - entry.lastCheck >= intervalMs;
  }

  /** Drops the job's entry and cancels its observation. */
  forget(job: Pick<FirmwareJob, 'campaignId' | 'endpoint'>): void {
    const key = keyOf(job);
    this.entries.get(key)?.observation?.cancel();
    this.entries.delete(key);
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.observation?.cancel();
    this.entries.clear();
  }
}
