/**
 * Job stores that hear every applied transition: `observingJobStore` calls a listener after each
 * conditional write that succeeded (the edge counts them for its metrics); `publishingJobStore`
 * publishes each as an event ("fota.job.transition": campaign, device, from, to, reason). Best
 * effort: a listener never undoes or blocks the transition, which is the record of truth.
 */
import type { FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import type { JobEvent } from '../core/jobs/jobStateMachine.ts';
import type { JobStore } from '../core/ports/JobStore.ts';
import type { EventPublisher } from './events.ts';

/** Hears a transition whose conditional write succeeded: the job before, the event, the job after. */
export type TransitionListener = (before: FirmwareJob, event: JobEvent, after: FirmwareJob, now: number) => void;

export function observingJobStore(inner: JobStore, onApplied: TransitionListener): JobStore {
  return {
    createJobs: (jobs) => inner.createJobs(jobs),
    get: (campaignId, jobKey) => inner.get(campaignId, jobKey),
    claim: (job, ownerTask) => inner.claim(job, ownerTask),
    requestInstall: (job, deadline) => inner.requestInstall(job, deadline),
    requestCancel: (job, at) => inner.requestCancel(job, at),
    recordDelivery: (job, delivery) => inner.recordDelivery(job, delivery),
    recordExecuteOutcome: (job, outcome, at) => inner.recordExecuteOutcome(job, outcome, at),
    listCohort: (campaignId, cohort) => inner.listCohort(campaignId, cohort),
    listCampaign: (campaignId) => inner.listCampaign(campaignId),
    listForEndpoint: (endpoint) => inner.listForEndpoint(endpoint),
    listForOwner: (ownerTask, status, options) => inner.listForOwner(ownerTask, status, options),
    findByToken: (token) => inner.findByToken(token),
    async transition(job, event, now, extra) {
      const result = await inner.transition(job, event, now, extra);
      if (result.success) onApplied(job, event, result.data, now);
      return result;
    },
  };
}

export function publishingJobStore(inner: JobStore, events: EventPublisher, onError: (error: unknown) => void = () => undefined): JobStore {
  return observingJobStore(inner, (job, event, after, now) => {
    const last = after.history.at(-1);
    events
      .publish({
        type: 'fota.job.transition',
        detail: { campaignId: job.campaignId, endpoint: job.endpoint, cohort: job.cohort, from: job.status, to: after.status, event: event.kind, attempt: after.attempt, at: now, ...(last?.detail === undefined ? {} : { detail: last.detail }) },
      })
      .catch(onError);
  });
}
