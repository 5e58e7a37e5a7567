/** DynamoDB TTL of telemetry values and device requests: the stores write the expiry, readers never see it (dynalite). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { DynamoDbTelemetryStore } from '../../store/DynamoDbTelemetryStore.ts';
import { DynamoDbDeviceRequestStore } from '../../store/DynamoDbDeviceRequestStore.ts';
import { DEFAULT_RETENTION_DAYS } from '../../store/retention.ts';
import { TELEMETRY_TABLE, REQUESTS_TABLE, TTL_ATTRIBUTE } from '../../store/schema.ts';
import { loadStoreConfig } from '../../store/config.ts';
import { DeviceRequestStatus, type DeviceRequest } from '../../core/devices/DeviceRequest.ts';
import { telemetrySampleKey, TelemetrySource, type TelemetrySample } from '../../core/devices/Telemetry.ts';

const DAY_SECONDS = 86_400;
const RECEIVED_AT = Date.UTC(2026, 11, 7, 8, 0, 0, 500);

describe('retention of telemetry values and device requests (DynamoDB TTL)', () => {
  let emulators: Emulators;

  beforeAll(async () => {
    emulators = await startEmulators({});
  });

  afterAll(async () => {
    await emulators.stop();
  });

  it('declares the ttl attribute on the telemetry and requests tables only', () => {
    expect(TELEMETRY_TABLE.timeToLiveAttribute).toBe(TTL_ATTRIBUTE);
    expect(REQUESTS_TABLE.timeToLiveAttribute).toBe(TTL_ATTRIBUTE);
  });

  it('writes a telemetry value with its expiry in epoch seconds, retentionDays after it was received, and reads it back without it', async () => {
    const store = new DynamoDbTelemetryStore(emulators.stores.clients.dynamo, emulators.config.tables.telemetry, 30);
    const sample: TelemetrySample = { endpoint: 'ttl-meter-1', sampleKey: telemetrySampleKey(RECEIVED_AT, '/3/0/9'), path: '/3/0/9', at: RECEIVED_AT, receivedAt: RECEIVED_AT, value: 87, source: TelemetrySource.Send };

    await store.append([sample]);

    const raw = await emulators.stores.clients.dynamo.send(new GetCommand({ TableName: emulators.config.tables.telemetry, Key: { endpoint: sample.endpoint, sampleKey: sample.sampleKey } }));
    expect(raw.Item?.[TTL_ATTRIBUTE]).toBe(Math.floor(RECEIVED_AT / 1000) + 30 * DAY_SECONDS);
    expect(await store.latest(sample.endpoint, 5)).toEqual([sample]);
  });

  it('writes a device request with its expiry retentionDays after it was created (90 by default), and reads it back without it', async () => {
    const store = new DynamoDbDeviceRequestStore(emulators.stores.clients.dynamo, emulators.config.tables.requests);
    const request: DeviceRequest = { requestId: 'ttl-request-1', endpoint: 'ttl-meter-1', operation: { kind: 'read', path: '/3/0' }, status: DeviceRequestStatus.Pending, ownerTask: 'task-a', createdAt: RECEIVED_AT, expiresAt: RECEIVED_AT + 60_000 };

    await store.create(request);

    const raw = await emulators.stores.clients.dynamo.send(new GetCommand({ TableName: emulators.config.tables.requests, Key: { requestId: request.requestId } }));
    expect(raw.Item?.[TTL_ATTRIBUTE]).toBe(Math.floor(RECEIVED_AT / 1000) + DEFAULT_RETENTION_DAYS * DAY_SECONDS);
    expect(await store.get(request.requestId)).toEqual(request);
    expect(await store.listForEndpoint(request.endpoint)).toEqual([request]);
  });

  it('reads the retention from FOTA_RETENTION_DAYS, and refuses a value that is not a whole number of days', () => {
    expect(loadStoreConfig({ FOTA_RETENTION_DAYS: '14' }).retentionDays).toBe(14);
    expect(loadStoreConfig({}).retentionDays).toBeUndefined();
    expect(() => loadStoreConfig({ FOTA_RETENTION_DAYS: 'a week' })).toThrow(/FOTA_RETENTION_DAYS/);
  });
});
