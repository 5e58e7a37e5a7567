/**
 * The AWS emulators of the embedded stack: dynalite (DynamoDB) and s3rver (S3) on loopback, the
 * tables and the image bucket created, and the store configuration that points at them. The local
 * stack starts them in its own process; the benchmarks start them beside an edge that runs in a
 * child process, so the edge's CPU and memory figures are its own.
 */
import type { AddressInfo, Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { StoreConfig } from '../store/config.ts';
import type { ImageSigningPolicy } from '../store/imageSigning.ts';
import { createStores, type Stores } from '../store/Stores.ts';
import { AUDIT_TABLE, CAMPAIGNS_TABLE, CLAIMS_TABLE, CREDENTIALS_TABLE, DEVICES_TABLE, IDEMPOTENCY_TABLE, IMAGES_TABLE, JOBS_TABLE, REQUESTS_TABLE, TELEMETRY_TABLE, type TableSchema } from '../store/schema.ts';
import { closeIteratorsOnReturn } from './dynaliteIterators.ts';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number; path?: string }) => Server;
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

export interface EmulatorOptions {
  /** TCP port of dynalite on loopback; any free port by default. */
  readonly dynamoDbPort?: number;
  /** TCP port of s3rver on loopback; any free port by default. */
  readonly s3Port?: number;
  /** A folder for dynalite's LevelDB files and s3rver's objects; in memory / a temp folder when absent. */
  readonly dataDirectory?: string;
  /** Signer keys of firmware images and whether unsigned ones are refused. @default none, unsigned accepted */
  readonly imageSigning?: ImageSigningPolicy;
  /** Campaign notifications are also POSTed to this URL. */
  readonly notifyWebhookUrl?: string;
  /** The dashboard's address as known now (the local API's, once it listens): notifications link to it. */
  readonly dashboardUrl?: () => string | undefined;
  /** How many people a campaign needs when it does not say. @default 1 */
  readonly defaultApprovers?: number;
}

export interface Emulators {
  /** The configuration every process of the stack uses to reach the emulators. */
  readonly config: StoreConfig;
  /** Stores of this process, on that configuration. */
  readonly stores: Stores;
  stop(): Promise<void>;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const closers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    // dynalite 4 closes Query iterators only through `iterator.return`: without this, every Query leaks one.
    closeIteratorsOnReturn();
    const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDirectory === undefined ? {} : { path: join(options.dataDirectory, 'dynamodb') }) });
    const dynamoPort = await listen(dynamo, options.dynamoDbPort ?? 0);
    closers.push(() => new Promise((resolve) => dynamo.close(() => resolve())));

    const s3Directory = options.dataDirectory === undefined ? await mkdtemp(join(tmpdir(), 'fota-s3-')) : join(options.dataDirectory, 's3');
    const s3 = new S3rver({ port: options.s3Port ?? 0, address: '127.0.0.1', silent: true, directory: s3Directory });
    const s3Address = await s3.run();
    closers.push(async () => {
      await s3.close();
      if (options.dataDirectory === undefined) await rm(s3Directory, { recursive: true, force: true });
    });

    const config: StoreConfig = {
      region: 'us-east-1',
      dynamoDbEndpoint: `http://127.0.0.1:${dynamoPort}`,
      s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
      tables: { devices: 'fota-devices', jobs: 'fota-jobs', campaigns: 'fota-campaigns', images: 'fota-images', requests: 'fota-requests', telemetry: 'fota-telemetry', credentials: 'fota-credentials', claims: 'fota-device-claims', idempotency: 'fota-idempotency', audit: 'fota-audit' },
      imageBucket: 'fota-images',
      ...(options.imageSigning === undefined ? {} : { imageSigning: options.imageSigning }),
      // The key that encrypts device PSKs at rest: beside the data, or in the stack's temp folder.
      keyFile: join(options.dataDirectory ?? (await mkdtemp(join(tmpdir(), 'fota-keys-'))), 'credentials.key'),
      // Device events (telemetry) kept beside the data, one JSON object per line.
      ...(options.dataDirectory === undefined ? {} : { eventsFile: join(options.dataDirectory, 'events.jsonl') }),
      ...(options.notifyWebhookUrl === undefined ? {} : { notifications: { webhookUrl: options.notifyWebhookUrl } }),
      ...(options.defaultApprovers === undefined ? {} : { defaultApprovers: options.defaultApprovers }),
    };
    const stores = createStores(config, options.dashboardUrl === undefined ? {} : { dashboardUrl: options.dashboardUrl });
    closers.push(async () => {
      stores.clients.dynamo.destroy();
      stores.clients.s3.destroy();
    });
    await createTables(stores, config);
    await stores.clients.s3.send(new CreateBucketCommand({ Bucket: config.imageBucket })).catch((error: unknown) => {
      if (!(error instanceof Error && error.name === 'BucketAlreadyOwnedByYou')) throw error;
    });
    return { config, stores, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
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
    [config.tables.audit, AUDIT_TABLE],
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
    Projection: { ProjectionType: index.projection ?? 'ALL' },
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    ...(indexes.length === 0 ? {} : { GlobalSecondaryIndexes: indexes }),
  };
}
