/**
 * One monitor tick of a cohort's phase: acts on the campaign's status (paused, cancelling), retries
 * what the retry policy allows, fails jobs past their deadline, releases devices at the rollout
 * rate (a token bucket on the campaign's active clock: paused time earns nothing) and inside
 * their time windows, and decides whether the phase is complete or the campaign must abort.
 * Called by the workflow's Start and Evaluate tasks.
 */
import { randomBytes } from 'node:crypto';
import { CampaignStatus, type Campaign } from '../../core/campaign/Campaign.ts';
import { isPhaseComplete, tallyJobs, type CampaignPhase, type CohortTally } from '../../core/campaign/progress.ts';
import { isCancelled } from '../../core/campaign/lifecycle.ts';
import { abortCriteriaOf, abortReason, nextPollSeconds, retryAt, retryRuleFor } from '../../core/campaign/rollout.ts';
import { isWithinWindow } from '../../core/campaign/windows.ts';
import type { JobProgress, JobRef } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { deadlineReason, mayRetryFromStart } from '../../core/jobs/jobDeadline.ts';
import { cohortInstallOf, installDeadline } from '../../core/jobs/cohortInstall.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { Stores } from '../../store/Stores.ts';
import { mapWithLimit, PARALLEL_WRITES } from '../../core/concurrency.ts';
import { reserveReleases, type ReleaseReservation } from './releaseRate.ts';
import { isFailureReason } from '../../core/jobs/failureReason.ts';
import { packageTokenFields } from '../../core/jobs/packageToken.ts';

export interface PhaseTick {
  readonly complete: boolean;
  readonly abort: boolean;
  readonly abortReason?: string;
  readonly cancel: boolean;
  readonly paused: boolean;
  readonly changed: boolean;
  readonly tally: CohortTally;
}

/**
 * How long one tick may spend releasing devices. The task Lambda times out after 60 s; what is not
 * released within the budget is released by the next tick (the phase reports a change, so the
 * next poll comes soon).
 */
export const RELEASE_BUDGET_MS = 35_000;
/** Pending jobs looked at per round of releases (the allowance may be spent before the end). */
const RELEASE_ROUND = 256;

const DOWNLOAD_STATES: ReadonlySet<string> = new Set([JobStatus.Ready, JobStatus.Downloading]);
const INSTALL_STATES: ReadonlySet<string> = new Set([JobStatus.Downloaded, JobStatus.Updating, JobStatus.Verifying]);

export async function tickCohortPhase(
  stores: Stores,
  campaign: Campaign,
  cohort: number,
  phase: CampaignPhase,
  startedAt: number,
  now: number,
  pollSeconds: number,
  releaseBudgetMs = RELEASE_BUDGET_MS,
): Promise<PhaseTick> {
  const budgetEnds = Date.now() + releaseBudgetMs;
  // Each job without its history: a tick reads the whole cohort, which must stay cheap.
  const jobs = await stores.jobs.listCohortProgress(campaign.campaignId, cohort);
  // The workflow acts on the status the operator's action set (core/campaign/lifecycle.ts).
  if (isCancelled(campaign.status)) return { complete: false, abort: false, cancel: true, paused: false, changed: false, tally: tallyJobs(jobs) };
  const paused = campaign.status === CampaignStatus.Paused;

  let changed = jobs.some((job) => job.updatedAt > now - pollSeconds * 1000);
  const devices = new Map<string, DeviceRegistration | undefined>();
  const deviceOf = async (endpoint: string): Promise<DeviceRegistration | undefined> => {
    // Its owner task and time zone: the device's own item, not the operator's tags (one read, not two).
    if (!devices.has(endpoint)) devices.set(endpoint, await stores.registrations.getWithoutTags(endpoint));
    return devices.get(endpoint);
  };
  // The edge's rule (core/jobs/cohortInstall.ts): a DOWNLOADED job waits for its cohort's install
  // request, whatever its old download deadline, and is late only past its install deadline.
  const install = phase === 'install' ? cohortInstallOf(campaign, cohort) : undefined;
  const installDeadlineOf = async (job: JobProgress): Promise<number | undefined> => {
    if (install === undefined || job.status !== JobStatus.Downloaded) return undefined;
    return installDeadline(job, install, now, install.window === undefined ? undefined : (await deviceOf(job.endpoint))?.timeZone);
  };
  const current = await mapWithLimit(jobs, PARALLEL_WRITES, async (job): Promise<JobProgress> => {
    let latest: JobProgress = job;
    const inPhase = phase === 'download' ? DOWNLOAD_STATES.has(job.status) : INSTALL_STATES.has(job.status) || DOWNLOAD_STATES.has(job.status);
    const reason = inPhase ? deadlineReason(job, now, await installDeadlineOf(job)) : undefined;
    if (reason !== undefined) {
      latest = (await transitioned(stores, latest, () => stores.jobs.transition(latest, { kind: 'failed', reason }, Math.max(now, job.updatedAt)))) ?? latest;
      changed = true;
    }
    // The few FAILING jobs are read whole and consistently: the retry policy rules on a failed
    // attempt from its history (did its install start?), and a retried one must not be counted
    // as failed by the abort rules from an older read.
    const failing = latest.status === JobStatus.Failing ? await stores.jobs.get(latest.campaignId, latest.jobKey) : undefined;
    if (failing !== undefined) latest = failing;
    if (failing?.status === JobStatus.Failing && !paused) {
      // The verdict comes after the failure, which may have been written after this tick began
      // (by the edge, on its clock): its history, and the back-off, never run backwards.
      const decidedAt = Math.max(now, failing.updatedAt);
      // A stored reason that is no failure reason (none recorded) has no retry rule.
      const failure = isFailureReason(failing.reason) ? failing.reason : undefined;
      const at = failure !== undefined && mayRetryFromStart(failing) ? retryAt(retryRuleFor(campaign, failure), failing.attempt, decidedAt) : undefined;
      if (failure === undefined || at === undefined) {
        // No retry left for this reason: the verdict is final (FAILED is never left).
        latest = (await transitioned(stores, latest, () => stores.jobs.transition(latest, { kind: 'gaveUp' }, decidedAt))) ?? latest;
        changed = true;
      } else {
        const device = await deviceOf(latest.endpoint);
        const retried = await transitioned(stores, latest, () =>
          stores.jobs.transition(latest, { kind: 'retry', reason: failure, notBefore: at }, decidedAt, {
            deadline: at + campaign.downloadTimeoutSeconds * 1000,
            // A new Package URI token per attempt: the edge revokes a token when its attempt ends.
            ...packageTokenFields(latest, randomBytes(12).toString('base64url')),
            ...(device === undefined ? {} : { ownerTask: device.ownerTask }),
          }),
        );
        if (retried !== undefined) {
          latest = retried;
          changed = true;
        }
      }
    }
    return latest;
  });

  // Reserved even while paused (nothing then): the phase's first tick starts its rate bucket.
  const pendingCount = current.filter((job) => job.status === JobStatus.Pending).length;
  const reservation = await reserveReleases(stores, campaign, startedAt, now, paused ? 0 : pendingCount);
  if (!paused) {
    changed = (await release(stores, campaign, current, reservation, now, deviceOf, budgetEnds)) || changed;
  }
  if (phase === 'install') changed = (await requestInstall(stores, campaign, cohort, now, !paused)) || changed;
  const tally = tallyJobs(current);
  const aborted = abortReason(tally, abortCriteriaOf(campaign));
  return {
    complete: !paused && isPhaseComplete(phase, tally) && !current.some(awaitsRetry()),
    abort: aborted !== undefined,
    ...(aborted === undefined ? {} : { abortReason: aborted }),
    cancel: false,
    paused,
    changed,
    tally,
  };
}

export function nextPoll(campaign: Campaign, current: number, changed: boolean): number {
  return nextPollSeconds(current, changed, campaign.pollSeconds, campaign.maxPollSeconds ?? Math.max(campaign.pollSeconds, 300));
}

/**
 * Releases devices: PENDING -> READY (download) at the rollout rate, in the cohort's order; writes
 * in parallel, until the time budget is spent.
 */
async function release(
  stores: Stores,
  campaign: Campaign,
  jobs: JobProgress[],
  reservation: ReleaseReservation,
  now: number,
  deviceOf: (endpoint: string) => Promise<DeviceRegistration | undefined>,
  budgetEnds: number,
): Promise<boolean> {
  let changed = false;
  let allowance = reservation.allowance;
  const pending = [...jobs.entries()].filter(([, job]) => job.status === JobStatus.Pending);
  for (let from = 0; from < pending.length && allowance > 0 && Date.now() < budgetEnds; ) {
    // Outside its download window a device is passed over without using the allowance.
    const round = pending.slice(from, from + Math.min(allowance, RELEASE_ROUND));
    from += round.length;
    const outcomes = await mapWithLimit(round, PARALLEL_WRITES, async ([index, job]) => {
      const device = await deviceOf(job.endpoint);
      if (!isWithinWindow(campaign.downloadWindow, now, device?.timeZone)) return false;
      const jitterMs = Math.floor(Math.random() * (campaign.rate?.jitterSeconds ?? 0) * 1000);
      const result = await stores.jobs.transition(job, { kind: 'scheduled', deadline: now + jitterMs + campaign.downloadTimeoutSeconds * 1000 }, now, {
        ...(device === undefined ? {} : { ownerTask: device.ownerTask }),
        ...(jitterMs > 0 ? { notBefore: now + jitterMs } : {}),
      });
      if (result.success) jobs[index] = result.data;
      return result.success;
    });
    const scheduled = outcomes.filter(Boolean).length;
    allowance -= scheduled;
    changed ||= scheduled > 0;
  }
  await reservation.settle(reservation.allowance - allowance);
  // Out of time, or held back by the rate, with devices still to release: the next poll must come
  // at the base interval (a backed-off poll would let tokens overflow the bucket: a slower rate).
  const stillPending = pending.some(([index]) => jobs[index]?.status === JobStatus.Pending);
  if (stillPending && ((Date.now() >= budgetEnds && allowance > 0) || allowance <= 0)) changed = true;
  return changed;
}

/**
 * The install of the whole cohort, asked for with one write on the campaign (not one per job):
 * the edge installs each DOWNLOADED job of it inside the device's install window
 * (core/jobs/cohortInstall.ts). A pause withdraws the request (the edge starts no install of a
 * campaign that is not RUNNING anyway); the first tick after the resume asks again, so install
 * deadlines count from then, not from before the pause. True when it wrote.
 */
async function requestInstall(stores: Stores, campaign: Campaign, cohort: number, now: number, wanted: boolean): Promise<boolean> {
  const requests = campaign.installRequestedAt ?? {};
  const key = String(cohort);
  if ((requests[key] !== undefined) === wanted) return false;
  const others = Object.fromEntries(Object.entries(requests).filter(([requested]) => requested !== key));
  await stores.campaigns.update(campaign.campaignId, { installRequestedAt: wanted ? { ...others, [key]: now } : others });
  return true;
}

/** A failed attempt whose verdict is pending (the retry policy decides at a tick) keeps its phase open. */
function awaitsRetry(): (job: JobProgress) => boolean {
  return (job) => job.status === JobStatus.Failing;
}

async function transitioned(stores: Stores, job: JobRef, write: () => ReturnType<Stores['jobs']['transition']>): Promise<JobProgress | undefined> {
  const result = await write();
  if (result.success) return result.data;
  // Someone else (the edge) moved the job first: continue from what is stored.
  return stores.jobs.get(job.campaignId, job.jobKey);
}
