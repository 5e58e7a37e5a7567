/**
 * Campaign notifications in AWS (issue 16, item 5): the functions publish each one to the event
 * bus (store/campaignNotifications.ts); a rule forwards them to an encrypted SNS topic that people
 * subscribe to by e-mail. Chat hooks are more rules on the same pattern (README, "Notifications").
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CAMPAIGN_NOTIFICATION_TYPE } from '../../core/campaign/notifications.ts';
import { EVENT_SOURCE } from '../../store/events.ts';

export interface CampaignNotificationsProps {
  readonly bus: events.IEventBus;
  /** Addresses subscribed at deploy time (each must confirm). @default none: people subscribe themselves */
  readonly emails?: readonly string[];
}

/** The event pattern of a campaign notification: what a chat hook's rule matches too. */
export const CAMPAIGN_NOTIFICATION_PATTERN: events.EventPattern = { source: [EVENT_SOURCE], detailType: [CAMPAIGN_NOTIFICATION_TYPE] };

export class CampaignNotifications extends Construct {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CampaignNotificationsProps) {
    super(scope, id);
    this.topicKey = new kms.Key(this, 'TopicKey', { description: 'FOTA campaign notification topic encryption', enableKeyRotation: true });
    // EventBridge publishes to the encrypted topic: it needs the key (SNS SSE with EventBridge sources).
    this.topicKey.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }));
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'FOTA campaign notifications', masterKey: this.topicKey, enforceSSL: true });
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    // The notification itself (subject, figures, dashboard link), not the EventBridge envelope.
    this.rule = new events.Rule(this, 'ToTopic', {
      eventBus: props.bus,
      description: 'Campaign notifications (waiting for approval, paused, aborted, succeeded, failed) to the SNS topic',
      eventPattern: CAMPAIGN_NOTIFICATION_PATTERN,
      targets: [new targets.SnsTopic(this.topic, { message: events.RuleTargetInput.fromEventPath('$.detail') })],
    });
  }
}
