/**
 * The edge's job transitions reach EventBridge when the edge is told the bus (FOTA_EVENT_BUS_NAME,
 * set by infra/constructs/EdgeService.ts): the same createStores wiring as coap-edge/main.ts, on
 * dynalite. MOCK EventBridge: AWS has no local EventBridge, so a loopback HTTP server stands in for
 * its endpoint (the SDK's AWS_ENDPOINT_URL_EVENTBRIDGE) and records the PutEvents requests it gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { createStores } from '../../store/Stores.ts';
import { loadStoreConfig } from '../../store/config.ts';
import { jobKeyFor, type FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { eventually } from '../integration/eventually.ts';

interface PutEventsRequest {
  readonly Entries: readonly { readonly EventBusName: string; readonly Source: string; readonly DetailType: string; readonly Detail: string }[];
}

const ENVIRONMENT = { AWS_ENDPOINT_URL_EVENTBRIDGE: '', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local-secret' };

describe('job events of the edge on the bus', () => {
  let emulators: Emulators;
  let mockEventBridge: Server;
  const received: PutEventsRequest[] = [];
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    emulators = await startEmulators({});
    mockEventBridge = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.headers['x-amz-target'] === 'AWSEvents.PutEvents') received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PutEventsRequest);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: randomUUID() }] }));
      });
    });
    await new Promise<void>((resolve) => mockEventBridge.listen(0, '127.0.0.1', resolve));
    const environment = { ...ENVIRONMENT, AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(mockEventBridge.address() as AddressInfo).port}` };
    for (const [name, value] of Object.entries(environment)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await new Promise((resolve) => mockEventBridge.close(resolve));
    await emulators.stop();
  });

  it('publishes a transition the edge applies as fota.job.transition on the bus it was given', async () => {
    // Prepare: the edge's stores, as coap-edge/main.ts builds them, with the variables the stack sets.
    const busName = 'Fota-prod-Orchestration-CampaignBus';
    const config = { ...emulators.config, eventBusName: loadStoreConfig({ FOTA_EVENT_BUS_NAME: busName }).eventBusName ?? '' };
    const stores = createStores(config);
    const now = Date.now();
    const job: FirmwareJob = {
      campaignId: `events-${randomUUID()}`, jobKey: jobKeyFor(0, 'events-meter-1'), endpoint: 'events-meter-1', cohort: 0, status: JobStatus.Ready, version: 1, attempt: 0,
      imageId: 'img-events', targetVersion: '2.0.0', downloadToken: randomBytes(12).toString('base64url'), ownerTask: 'edge-task-1',
      deadline: now + 120_000, createdAt: now, updatedAt: now, history: [],
    };
    await stores.jobs.createJobs([job]);

    // Act: the transition the edge's job executor applies when the device starts downloading.
    const result = await stores.jobs.transition(job, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: now + 60_000 }, now);

    // Assess
    expect(result.success).toBe(true);
    const entry = await eventually(() => {
      const found = received.flatMap((r) => r.Entries).find((e) => (JSON.parse(e.Detail) as { campaignId?: string }).campaignId === job.campaignId);
      if (found === undefined) throw new Error(`${received.length} PutEvents requests, none for ${job.campaignId}`);
      return found;
    }, { timeoutMs: 10_000, what: 'the PutEvents request of the transition' });
    expect(entry).toMatchObject({ EventBusName: busName, Source: 'lwm2m-fota', DetailType: 'fota.job.transition' });
    expect(JSON.parse(entry.Detail)).toMatchObject({ endpoint: 'events-meter-1', from: JobStatus.Ready, event: 'downloadStarted' });
    stores.clients.dynamo.destroy();
  });
});
