/**
 * Publishes every applied job transition as an event ("fota.job.transition": campaign, device,
 * from, to, reason) after the conditional write that is the record of truth. Best effort: a
 * failed publish is reported to `onError` and never undoes or blocks the transition.
 */
import type { JobStore } from './DynamoDbJobStore.ts';
import type { EventPublisher } from './events.ts';

export function publishingJobStore(inner: JobStore, events: EventPublisher, onError: (error: unknown) => void = () => undefined): JobStore {
  return {
    createJobs: (jobs) => inner.createJobs(jobs),
    get: (campaignId, jobKey) => inner.get(campaignId, jobKey),
    annotate: (job, attributes) => inner.annotate(job, attributes),
    listCohort: (campaignId, cohort) => inner.listCohort(campaignId, cohort),
    listCampaign: (campaignId) => inner.listCampaign(campaignId),
    listForEndpoint: (endpoint) => inner.listForEndpoint(endpoint),
    listForOwner: (ownerTask, status, options) => inner.listForOwner(ownerTask, status, options),
    findByToken: (token) => inner.findByToken(token),
    async transition(job, event, now, extra) {
      const result = await inner.transition(job, event, now, extra);
      if (result.success) {
        const last = result.data.history.at(-1);
        events
          .publish({
            type: 'fota.job.transition',
            detail: { campaignId: job.campaignId, endpoint: job.endpoint, cohort: job.cohort, from: job.status, to: result.data.status, event: event.kind, attempt: result.data.attempt, at: now, ...(last?.detail === undefined ? {} : { detail: last.detail }) },
          })
          .catch(onError);
      }
      return result;
    },
  };
}
