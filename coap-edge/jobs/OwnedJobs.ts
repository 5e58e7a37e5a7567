/**
 * The jobs an edge task owns, held in memory between listings (store/schema.ts, byOwner): the
 * owner's index holds each job's key and what the workflow changes while the task owns it (a
 * retry's attempt, a cancel requested), not its status, so the task's own
 * transitions cost the index nothing. A listing reads from the table only the jobs whose entry is
 * new or differs from the copy held; every write the executor's steps make goes through `jobs`,
 * which keeps the copies current (the job as written) and drops a copy whose conditional write
 * failed (someone else moved the job: it is read again at the next listing).
 *
 * A copy is never what makes a step safe: every write stays conditional on the job's version, so
 * a copy gone stale (the workflow failed the job at its deadline: no entry change) costs at most
 * one refused write, after which it is read again.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { isTerminal, JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { parseKeyedToken } from '../../core/jobs/packageToken.ts';
import { forwardedReads, type JobKey, type JobStore, type OwnedJobEntry } from '../../core/ports/JobStore.ts';

/** The statuses in which a job's Package URI token opens its image (coap-edge/firmware/FirmwareBlockServer.ts). */
const DOWNLOADABLE: ReadonlySet<string> = new Set([JobStatus.Ready, JobStatus.Downloading, JobStatus.Downloaded]);

export class OwnedJobs {
  /** The job store for the executor's steps: the inner one, its writes and reads kept in the copies. */
  readonly jobs: JobStore;
  private readonly held = new Map<string, FirmwareJob>();
  /** endpoint -> ids of the jobs held for it (one, but for the moment a campaign hands a device on). */
  private readonly byEndpoint = new Map<string, Set<string>>();

  constructor(
    private readonly inner: JobStore,
    private readonly taskId: string,
  ) {
    this.jobs = this.writingThrough(inner);
  }

  /** How many jobs the last listing (and the writes since) left in hand. */
  get size(): number {
    return this.held.size;
  }

  /** The jobs held now, without a listing. */
  current(): FirmwareJob[] {
    return [...this.held.values()];
  }

  /**
   * The jobs held for a device: its job not ended, when this task drives it. A device has one
   * such job at a time (the claims: functions/shared/deviceClaims.ts), so a device that speaks to
   * its task needs no read of its jobs; an empty answer says nothing (the job may be another
   * task's, or new).
   */
  heldFor(endpoint: string): FirmwareJob[] {
    return [...(this.byEndpoint.get(endpoint) ?? [])].flatMap((id) => this.held.get(id) ?? []);
  }

  /**
   * Lists the task's jobs: those no longer listed are dropped (ended, or owned by another task
   * now), those new or changed read from the table, the others kept as held.
   */
  async list(): Promise<FirmwareJob[]> {
    const entries = await this.inner.listOwned(this.taskId);
    const listed = new Set(entries.map(idOf));
    for (const [id, job] of this.held) if (!listed.has(id)) this.forget(id, job.endpoint);
    const changed = entries.filter((entry) => differs(this.held.get(idOf(entry)), entry));
    if (changed.length > 0) for (const job of await this.inner.getMany(changed)) this.keep(job);
    return this.current();
  }

  /**
   * The job a Package URI token opens: the copy held, when the token is keyed
   * (core/jobs/packageToken.ts) with the secret of the held attempt and the copy is downloadable
   * (a device pulling the package this task wrote: no read); else the store's answer. A copy the
   * workflow moved unseen (a cancel, a deadline) stays held at most until the next listing or its
   * next refused write, about as long as the block server's lookup cache holds a grant.
   */
  private findByToken(token: string): Promise<FirmwareJob | undefined> {
    const keyed = parseKeyedToken(token);
    const held = keyed === undefined ? undefined : this.held.get(idOf(keyed));
    if (keyed !== undefined && held?.packageSecret !== undefined && DOWNLOADABLE.has(held.status) && sameSecret(held.packageSecret, keyed.secret)) return Promise.resolve(held);
    return this.inner.findByToken(token);
  }

  /** A job as written or read: held while this task owns it and it has not ended; an older copy never replaces a newer one. */
  private keep(job: FirmwareJob): void {
    const id = idOf(job);
    if (job.ownerTask !== this.taskId || isTerminal(job.status)) {
      this.forget(id, job.endpoint);
      return;
    }
    const held = this.held.get(id);
    if (held !== undefined && held.version > job.version) return;
    this.held.set(id, job);
    const ids = this.byEndpoint.get(job.endpoint);
    if (ids === undefined) this.byEndpoint.set(job.endpoint, new Set([id]));
    else ids.add(id);
  }

  private drop(job: JobKey): void {
    const id = idOf(job);
    const held = this.held.get(id);
    if (held !== undefined) this.forget(id, held.endpoint);
  }

  private forget(id: string, endpoint: string): void {
    this.held.delete(id);
    const ids = this.byEndpoint.get(endpoint);
    if (ids?.delete(id) === true && ids.size === 0) this.byEndpoint.delete(endpoint);
  }

  private writingThrough(inner: JobStore): JobStore {
    const written = async (job: FirmwareJob, write: Promise<boolean>, after: () => FirmwareJob): Promise<boolean> => {
      const landed = await write;
      if (landed) this.keep(after());
      else this.drop(job);
      return landed;
    };
    return {
      createJobs: (jobs) => inner.createJobs(jobs),
      get: async (campaignId, jobKey) => {
        const job = await inner.get(campaignId, jobKey);
        if (job === undefined) this.drop({ campaignId, jobKey });
        else this.keep(job);
        return job;
      },
      transition: async (job, events, now, extra) => {
        const result = await inner.transition(job, events, now, extra);
        if (result.success) this.keep(result.data);
        else this.drop(job);
        return result;
      },
      claim: (job, ownerTask) => written(job, inner.claim(job, ownerTask), () => ({ ...job, ownerTask })),
      requestCancel: (job, at) => written(job, inner.requestCancel(job, at), () => ({ ...job, cancelRequested: true, cancelRequestedAt: at })),
      recordDelivery: (job, delivery) => written(job, inner.recordDelivery(job, delivery), () => ({ ...job, delivery })),
      recordExecuteOutcome: (job, outcome, at) => written(job, inner.recordExecuteOutcome(job, outcome, at), () => ({ ...job, executeOutcome: outcome, executeEndedAt: at })),
      ...forwardedReads(inner),
      findByToken: (token) => this.findByToken(token),
    };
  }
}

function sameSecret(held: string, given: string): boolean {
  const [a, b] = [Buffer.from(held), Buffer.from(given)];
  return a.length === b.length && timingSafeEqual(a, b);
}

function idOf(job: JobKey): string {
  return `${job.campaignId}\u0000${job.jobKey}`;
}

/** Whether the held copy misses what the listing's entry says the workflow changed. */
function differs(held: FirmwareJob | undefined, entry: OwnedJobEntry): boolean {
  return (
    held === undefined ||
    held.attempt !== entry.attempt ||
    (held.cancelRequested === true) !== (entry.cancelRequested === true)
  );
}
