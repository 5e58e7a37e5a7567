import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EventBridgeEventPublisher, EventPublishError, LocalEventPublisher } from '../../store/events.ts';
import type { EventPublisher } from '../../core/ports/EventPublisher.ts';
import { DynamoDbTelemetryStore } from '../../store/DynamoDbTelemetryStore.ts';
import type { TelemetryStore } from '../../core/ports/TelemetryStore.ts';
import type { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toTelemetrySamples } from '../../core/devices/Telemetry.ts';
import type { TelemetrySample } from '../../core/devices/Telemetry.ts';
import { TelemetryRecorder } from '../../coap-edge/reporting/TelemetryRecorder.ts';
import { createLogger } from '../../coap-edge/logger.ts';
import { LwM2mPath } from '../../core/lwm2m/LwM2mPath.ts';

const path = (text: string): LwM2mPath => {
  const parsed = LwM2mPath.parse(text);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
};

class MemoryTelemetry implements TelemetryStore {
  readonly samples: TelemetrySample[] = [];
  async append(samples: readonly TelemetrySample[]): Promise<void> {
    this.samples.push(...samples);
  }
  async latest(): Promise<TelemetrySample[]> {
    return [...this.samples].reverse();
  }
}

describe('the telemetry recorder', () => {
  it('stores the samples, then publishes one event naming the device and its values', async () => {
    const telemetry = new MemoryTelemetry();
    const events = new LocalEventPublisher();
    const recorder = new TelemetryRecorder({ telemetry, events, logger: createLogger('test', 'silent'), clock: () => 5_000 });

    await recorder.record('meter-1', [{ path: path('/3303/0/5700'), value: 21.5, time: 4_000 }], 'SEND');

    expect(telemetry.samples).toEqual([{ endpoint: 'meter-1', sampleKey: '000000000004000#/3303/0/5700', path: '/3303/0/5700', at: 4_000, receivedAt: 5_000, value: 21.5, source: 'SEND' }]);
    expect(events.events).toEqual([expect.objectContaining({ source: 'lwm2m-fota', type: 'lwm2m.send', detail: { endpoint: 'meter-1', values: [{ path: '/3303/0/5700', at: 4_000, value: 21.5 }] } })]);
  });

  it('keeps the stored samples and logs when the event cannot be published', async () => {
    const telemetry = new MemoryTelemetry();
    const lines: string[] = [];
    const failing: EventPublisher = { publish: () => Promise.reject(new EventPublishError('bus is gone')) };
    const recorder = new TelemetryRecorder({ telemetry, events: failing, logger: createLogger('test', 'warn', (line) => lines.push(line)) });

    await recorder.record('meter-1', [{ path: path('/3/0/9'), value: 80 }], 'NOTIFICATION');

    expect(telemetry.samples).toHaveLength(1);
    expect(lines.join('\n')).toContain('EventPublishError');
  });
});

describe('event publishers', () => {
  it('put each event on the EventBridge bus with the system as source and the type as detail-type', async () => {
    const sent: PutEventsCommand[] = [];
    const client = { send: async (command: PutEventsCommand) => (sent.push(command), { FailedEntryCount: 0, Entries: [{ EventId: '1' }] }) } as unknown as EventBridgeClient;

    await new EventBridgeEventPublisher(client, 'fota-devices').publish({ type: 'lwm2m.send', detail: { endpoint: 'meter-1' } });

    expect(sent[0]?.input.Entries).toEqual([{ EventBusName: 'fota-devices', Source: 'lwm2m-fota', DetailType: 'lwm2m.send', Detail: '{"endpoint":"meter-1"}' }]);
  });

  it('turn an entry EventBridge refused into an EventPublishError with its code', async () => {
    const client = { send: async () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] }) } as unknown as EventBridgeClient;
    await expect(new EventBridgeEventPublisher(client, 'bus').publish({ type: 't', detail: {} })).rejects.toThrow(/ThrottlingException/);
  });

  it('keep a bounded log in process and append each event to a JSON Lines file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fota-events-'));
    try {
      const file = join(directory, 'events.jsonl');
      const publisher = new LocalEventPublisher({ file, capacity: 2 });
      for (const n of [1, 2, 3]) await publisher.publish({ type: 'lwm2m.send', detail: { n } });

      expect(publisher.events.map((e) => e.detail)).toEqual([{ n: 2 }, { n: 3 }]);
      const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { detail: unknown });
      expect(lines.map((l) => l.detail)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('the DynamoDB telemetry store', () => {
  it('writes in batches of 25, once per key, and retries what DynamoDB left unprocessed', async () => {
    // Prepare: 60 samples, one repeated; the first batch comes back with one item unprocessed.
    const entries = Array.from({ length: 60 }, (_, i) => ({ path: path(`/3303/0/${5700 + (i % 59)}`), value: i, time: 1_000 + Math.floor(i / 59) }));
    const samples = toTelemetrySamples('meter-1', [...entries, ...entries.slice(0, 1)], 'SEND', 2_000);
    const batches: number[] = [];
    let first = true;
    const dynamo = {
      send: async (command: BatchWriteCommand) => {
        const requests = command.input.RequestItems?.['telemetry'] ?? [];
        batches.push(requests.length);
        if (!first) return {};
        first = false;
        return { UnprocessedItems: { telemetry: requests.slice(0, 1) } };
      },
    } as unknown as DynamoDBDocumentClient;

    // Act
    await new DynamoDbTelemetryStore(dynamo, 'telemetry').append(samples);

    // Assess
    expect(batches).toEqual([25, 1, 25, 10]);
  });
});
