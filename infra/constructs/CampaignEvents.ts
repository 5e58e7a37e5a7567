import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/** `source` of the events the campaign workflow publishes (campaign launched, cohort advanced, aborted...). */
export const CAMPAIGN_EVENT_SOURCE = 'fota.campaign';
/** `source` of per-device job events (a job reached SUCCEEDED, FAILED...). */
export const JOB_EVENT_SOURCE = 'fota.job';

export interface CampaignEventsProps {
  /** @default 90 days */
  readonly archiveRetention?: Duration;
}

/**
 * The event bus for campaign and job events: integrations (ticketing, a release dashboard, a data
 * lake) subscribe with rules instead of polling the tables. Everything published is archived, so
 * a new consumer can be replayed the recent history.
 */
export class CampaignEvents extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: CampaignEventsProps = {}) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'FOTA campaign and job events' });
    this.archive = this.bus.archive('Archive', {
      description: 'Every FOTA campaign and job event, for replay to new consumers',
      // An archive needs a pattern; every event on the bus comes from this account.
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.archiveRetention ?? Duration.days(90),
    });
  }
}
