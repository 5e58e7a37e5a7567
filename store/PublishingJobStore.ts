/**
 * Job stores that hear every applied transition: `observingJobStore` calls a listener after each
 * conditional write that succeeded (the edge counts them for its metrics); `publishingJobStore`
 * publishes each as an event ("fota.job.transition": campaign, device, from, to, reason). Best
 * effort: a listener never undoes or blocks the transition, which is the record of truth.
 */
import type { FirmwareJob, JobRef } from '../core/jobs/FirmwareJob.ts';
import { eventsOf, type JobEvent } from '../core/jobs/jobStateMachine.ts';
import { forwardedReads, type JobStore } from '../core/ports/JobStore.ts';
import type { EventPublisher } from '../core/ports/EventPublisher.ts';

/** Hears a conditional write of transitions that succeeded: the job before, its events (one or a chain), the job after. */
export type TransitionListener = (before: JobRef, events: readonly [JobEvent, ...JobEvent[]], after: FirmwareJob, now: number) => void;

export function observingJobStore(inner: JobStore, onApplied: TransitionListener): JobStore {
  return {
    createJobs: (jobs) => inner.createJobs(jobs),
    get: (campaignId, jobKey) => inner.get(campaignId, jobKey),
    claim: (job, ownerTask) => inner.claim(job, ownerTask),
    requestCancel: (job, at) => inner.requestCancel(job, at),
    recordDelivery: (job, delivery) => inner.recordDelivery(job, delivery),
    recordExecuteOutcome: (job, outcome, at) => inner.recordExecuteOutcome(job, outcome, at),
    ...forwardedReads(inner),
    async transition(job, events, now, extra) {
      const result = await inner.transition(job, events, now, extra);
      if (result.success) onApplied(job, eventsOf(events), result.data, now);
      return result;
    },
  };
}

export function publishingJobStore(inner: JobStore, events: EventPublisher, onError: (error: unknown) => void = () => undefined): JobStore {
  // One event per transition, a chain written at once included (its entries end the history).
  return observingJobStore(inner, (job, applied, after, now) => {
    for (const entry of after.history.slice(-applied.length)) {
      events
        .publish({
          type: 'fota.job.transition',
          detail: { campaignId: job.campaignId, endpoint: job.endpoint, cohort: job.cohort, from: entry.from, to: entry.to, event: entry.event, attempt: after.attempt, at: now, ...(entry.detail === undefined ? {} : { detail: entry.detail }) },
        })
        .catch(onError);
    }
  });
}
