/**
 * Device events (telemetry reported by Send or notifications) for whoever listens: EventBridge in
 * AWS, an in-process log (and optionally a JSON Lines file) locally. Publishing is best effort
 * after the store write, which is the record of truth.
 */
import { appendFile } from 'node:fs/promises';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DeviceEvent, EventPublisher } from '../core/ports/EventPublisher.ts';

/** The EventBridge `source` of every event this system publishes. */
export const EVENT_SOURCE = 'lwm2m-fota';

export class EventPublishError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

export interface PublishedEvent extends DeviceEvent {
  readonly source: string;
  readonly time: string;
}

/** Keeps the latest events in memory (bounded) and appends each to a JSON Lines file if given. */
export class LocalEventPublisher implements EventPublisher {
  private readonly log: PublishedEvent[] = [];

  constructor(private readonly options: { readonly file?: string; readonly capacity?: number } = {}) {}

  get events(): readonly PublishedEvent[] {
    return this.log;
  }

  async publish(event: DeviceEvent): Promise<void> {
    const published: PublishedEvent = { source: EVENT_SOURCE, time: new Date().toISOString(), type: event.type, detail: event.detail };
    this.log.push(published);
    const capacity = this.options.capacity ?? 10_000;
    if (this.log.length > capacity) this.log.splice(0, this.log.length - capacity);
    if (this.options.file !== undefined) await appendFile(this.options.file, `${JSON.stringify(published)}\n`, 'utf8');
  }
}

/** PutEvents to one bus; a failed entry becomes an EventPublishError with EventBridge's code. */
export class EventBridgeEventPublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(event: DeviceEvent): Promise<void> {
    const result = await this.client.send(
      new PutEventsCommand({ Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: event.type, Detail: JSON.stringify(event.detail) }] }),
    );
    const failed = result.Entries?.find((entry) => entry.ErrorCode !== undefined);
    if ((result.FailedEntryCount ?? 0) > 0 || failed !== undefined) {
      throw new EventPublishError(`EventBridge refused ${event.type}: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim());
    }
  }
}

export function createEventPublisher(config: { readonly region: string; readonly eventBusName?: string; readonly eventsFile?: string }): EventPublisher {
  if (config.eventBusName !== undefined) return new EventBridgeEventPublisher(new EventBridgeClient({ region: config.region }), config.eventBusName);
  return new LocalEventPublisher(config.eventsFile === undefined ? {} : { file: config.eventsFile });
}
