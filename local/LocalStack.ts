/**
 * The embedded stack: dynalite (DynamoDB), s3rver (S3), the synthesized campaign workflow on
 * aws-local-stepfunctions, and the CoAP edge on loopback UDP, all in one process, with the same
 * code that runs in AWS. Ports are chosen by the OS unless given, so tests can run side by side.
 */
import type { AddressInfo, Server } from "node:net";
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { StoreConfig } from '../store/config.ts';
import type { ImageSigningPolicy } from '../store/imageSigning.ts';
import { createStores, type Stores } from '../store/Stores.ts';
import { CAMPAIGNS_TABLE, CLAIMS_TABLE, CREDENTIALS_TABLE, DEVICES_TABLE, IDEMPOTENCY_TABLE, IMAGES_TABLE, JOBS_TABLE, REQUESTS_TABLE, TELEMETRY_TABLE, type TableSchema } from '../store/schema.ts';
import { useHandlerStores } from '../functions/shared/context.ts';
import { Edge, type EdgeOptions } from '../coap-edge/Edge.ts';
import { createLogger, type LogLevel } from '../coap-edge/logger.ts';
import { LocalStepFunctions } from './LocalStepFunctions.ts';
import { startApiServer } from './apiServer.ts';
import { loadSynthesizedWorkflow, type SynthesizedWorkflow } from './synthesizedWorkflow.ts';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number; path?: string }) => Server;
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

export interface LocalStackOptions {
  /** UDP port of the edge: 5683 for `--serve`, 0 (any free port) by default. */
  readonly coapPort?: number;
  /** UDP port of CoAPS (DTLS): 5684 for `--serve`, 0 (any free port) by default. Locally both run. */
  readonly coapsPort?: number;
  readonly logLevel?: LogLevel;
  /** Override every Wait state of the workflow with this many milliseconds (time compression). */
  readonly waitOverrideMs?: number;
  readonly jobPollIntervalMs?: number;
  /** How long the edge treats a queue-mode device as awake after it spoke (default 93 s). */
  readonly queueModeAwakeMs?: number;
  /** Firmware delivery tuning of the edge (state checks, deferral retries, HTTP URL expiry...). */
  readonly edgeDelivery?: Pick<EdgeOptions, 'stateCheckIntervalMs' | 'deferRetryMs' | 'httpPackageUrlExpirySeconds' | 'pushConcurrency' | 'imageCacheBytes'>;
  /** How long the edge waits for a device's answer, and for a separate response after an empty ACK. */
  readonly edgeRequests?: Pick<EdgeOptions, 'requestTimeoutMs' | 'separateResponseTimeoutMs'>;
  /** TCP port of the REST API on loopback; any free port by default. */
  readonly apiPort?: number;
  /** A folder for dynalite's LevelDB files and s3rver's objects; in memory / a temp folder when absent. */
  readonly dataDirectory?: string;
  /** Signer keys of firmware images and whether unsigned ones are refused. @default none, unsigned accepted */
  readonly imageSigning?: ImageSigningPolicy;
}

export class LocalStack {
  private constructor(
    readonly config: StoreConfig,
    readonly stores: Stores,
    readonly edge: Edge,
    readonly stepFunctions: LocalStepFunctions,
    readonly workflow: SynthesizedWorkflow,
    readonly apiUrl: string,
    private readonly closers: (() => Promise<void>)[],
  ) {}

  static async start(options: LocalStackOptions = {}): Promise<LocalStack> {
    const closers: (() => Promise<void>)[] = [];
    try {
      const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDirectory === undefined ? {} : { path: join(options.dataDirectory, 'dynamodb') }) });
      const dynamoPort = await listen(dynamo);
      closers.push(() => new Promise((resolve) => dynamo.close(() => resolve())));

      const s3Directory = options.dataDirectory === undefined ? await mkdtemp(join(tmpdir(), 'fota-s3-')) : join(options.dataDirectory, 's3');
      const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Directory });
      const s3Address = await s3.run();
      closers.push(async () => {
        await s3.close();
        if (options.dataDirectory === undefined) await rm(s3Directory, { recursive: true, force: true });
      });

      const config: StoreConfig = {
        region: 'us-east-1',
        dynamoDbEndpoint: `http://127.0.0.1:${dynamoPort}`,
        s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
        tables: { devices: 'fota-devices', jobs: 'fota-jobs', campaigns: 'fota-campaigns', images: 'fota-images', requests: 'fota-requests', telemetry: 'fota-telemetry', credentials: 'fota-credentials', claims: 'fota-device-claims', idempotency: 'fota-idempotency' },
        imageBucket: 'fota-images',
        ...(options.imageSigning === undefined ? {} : { imageSigning: options.imageSigning }),
        // The key that encrypts device PSKs at rest: beside the data, or in the stack's temp folder.
        keyFile: join(options.dataDirectory ?? (await mkdtemp(join(tmpdir(), 'fota-keys-'))), 'credentials.key'),
        // Device events (telemetry) kept beside the data, one JSON object per line.
        ...(options.dataDirectory === undefined ? {} : { eventsFile: join(options.dataDirectory, 'events.jsonl') }),
      };
      const stores = createStores(config);
      await createTables(stores, config);
      await stores.clients.s3.send(new CreateBucketCommand({ Bucket: config.imageBucket })).catch((error: unknown) => {
        if (!(error instanceof Error && error.name === 'BucketAlreadyOwnedByYou')) throw error;
      });
      useHandlerStores(stores);
      closers.push(async () => useHandlerStores(undefined));

      const logger = createLogger('edge', options.logLevel ?? 'warn');
      const edge = new Edge({ stores, taskId: 'local-edge-1', port: options.coapPort ?? 0, securePort: options.coapsPort ?? 0, jobPollIntervalMs: options.jobPollIntervalMs ?? 500, logger, metricsIntervalMs: 0, ...(options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: options.queueModeAwakeMs }), ...options.edgeDelivery, ...options.edgeRequests });
      await edge.start();
      closers.push(() => edge.stop());

      const workflow = loadSynthesizedWorkflow();
      const stepFunctions = new LocalStepFunctions(workflow, options.waitOverrideMs === undefined ? {} : { waitOverrideMs: options.waitOverrideMs });
      const api = await startApiServer({ stores, starter: stepFunctions }, options.apiPort ?? 0);
      closers.push(() => new Promise((resolve) => api.server.close(() => resolve())));
      return new LocalStack(config, stores, edge, stepFunctions, workflow, api.url, closers);
    } catch (error) {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      throw error;
    }
  }

  async stop(): Promise<void> {
    for (const execution of this.stepFunctions.executions.values()) if (execution.status === 'RUNNING') execution.abort();
    for (const close of [...this.closers].reverse()) await close().catch(() => undefined);
    this.stores.clients.dynamo.destroy();
    this.stores.clients.s3.destroy();
  }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function createTables(stores: Stores, config: StoreConfig): Promise<void> {
  const tables: [string, TableSchema][] = [
    [config.tables.devices, DEVICES_TABLE],
    [config.tables.jobs, JOBS_TABLE],
    [config.tables.campaigns, CAMPAIGNS_TABLE],
    [config.tables.images, IMAGES_TABLE],
    [config.tables.requests, REQUESTS_TABLE],
    [config.tables.telemetry, TELEMETRY_TABLE],
    [config.tables.credentials, CREDENTIALS_TABLE],
    [config.tables.claims, CLAIMS_TABLE],
    [config.tables.idempotency, IDEMPOTENCY_TABLE],
  ];
  for (const [name, schema] of tables) {
    await stores.clients.dynamo.send(new CreateTableCommand(tableInput(name, schema))).catch((error: unknown) => {
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    });
  }
}

function tableInput(name: string, schema: TableSchema): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>();
  const keys = (pk: { name: string; type: 'S' | 'N' }, sk?: { name: string; type: 'S' | 'N' }) => {
    attributes.set(pk.name, pk.type);
    if (sk !== undefined) attributes.set(sk.name, sk.type);
    return [{ AttributeName: pk.name, KeyType: 'HASH' as const }, ...(sk === undefined ? [] : [{ AttributeName: sk.name, KeyType: 'RANGE' as const }])];
  };
  const keySchema = keys(schema.partitionKey, schema.sortKey);
  const indexes = schema.globalSecondaryIndexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: keys(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: 'ALL' as const },
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    ...(indexes.length === 0 ? {} : { GlobalSecondaryIndexes: indexes }),
  };
}

