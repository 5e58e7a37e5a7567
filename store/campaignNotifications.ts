/**
 * Where campaign notifications go: the event bus in AWS (an EventBridge rule forwards them to the
 * SNS topic people subscribe to: infra/constructs/CampaignNotifications.ts), and a webhook URL
 * locally. `notifyingCampaignStore` sends one after each applied status change people are told
 * about (core/campaign/notifications.ts), from API actions and workflow tasks alike. Best effort:
 * a notification never undoes or blocks the change, which is the record of truth.
 */
import { CAMPAIGN_NOTIFICATION_TYPE, campaignNotification, NOTIFIED_STATUSES, type CampaignNotification } from '../core/campaign/notifications.ts';
import { tallyJobs } from '../core/campaign/progress.ts';
import type { CampaignStore } from '../core/ports/CampaignStore.ts';
import type { JobStore } from '../core/ports/JobStore.ts';
import type { EventPublisher } from '../core/ports/EventPublisher.ts';

export interface CampaignNotifier {
  notify(notification: CampaignNotification): Promise<void>;
}

export class CampaignNotificationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CampaignNotificationError';
  }
}

/** Publishes to the event bus (EventBridge in AWS, the in-process log locally). */
export class EventBusCampaignNotifier implements CampaignNotifier {
  constructor(private readonly events: EventPublisher) {}

  notify(notification: CampaignNotification): Promise<void> {
    return this.events.publish({ type: CAMPAIGN_NOTIFICATION_TYPE, detail: notification });
  }
}

/** POSTs the notification as JSON to a URL (a chat incoming webhook, a local receiver). */
export class WebhookCampaignNotifier implements CampaignNotifier {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async notify(notification: CampaignNotification): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: CAMPAIGN_NOTIFICATION_TYPE, ...notification }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new CampaignNotificationError(`webhook ${this.url} answered ${response.status}`);
  }
}

export interface NotifyingOptions {
  readonly notifiers: readonly CampaignNotifier[];
  readonly jobs: JobStore;
  /** The dashboard's address, when known (read at each notification: locally it is known once the API listens). */
  readonly dashboardUrl: () => string | undefined;
  /** Hears a notification that could not be sent (logged by the process). */
  readonly onError: (error: unknown) => void;
}

export function notifyingCampaignStore(inner: CampaignStore, options: NotifyingOptions): CampaignStore {
  const send = async (campaignId: string, previous: Parameters<typeof campaignNotification>[1]): Promise<void> => {
    const campaign = await inner.get(campaignId);
    if (campaign === undefined) return;
    const notification = campaignNotification(campaign, previous, tallyJobs(await options.jobs.listCampaign(campaignId)), options.dashboardUrl(), Date.now());
    if (notification === undefined) return;
    const results = await Promise.allSettled(options.notifiers.map((notifier) => notifier.notify(notification)));
    for (const result of results) if (result.status === 'rejected') options.onError(new CampaignNotificationError(`campaign ${campaignId}: ${notification.status} not notified`, { cause: result.reason }));
  };
  return {
    create: (campaign) => inner.create(campaign),
    get: (campaignId) => inner.get(campaignId),
    list: () => inner.list(),
    update: (campaignId, changes) => inner.update(campaignId, changes),
    discardUnstarted: (campaignId) => inner.discardUnstarted(campaignId),
    async transition(campaignId, change) {
      const applied = await inner.transition(campaignId, change);
      if (applied && change.status !== change.expected.status && NOTIFIED_STATUSES.has(change.status)) {
        await send(campaignId, change.expected.status).catch(options.onError);
      }
      return applied;
    },
  };
}
