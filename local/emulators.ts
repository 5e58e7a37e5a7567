/**
 * The AWS emulators of the embedded stack: dynalite (DynamoDB) and s3rver (S3) on loopback
 * (local/emulatorServers.ts), the tables and the image bucket created, and the store
 * configuration that points at them. The local stack runs the emulators in a child process
 * (local/emulatorChild.ts), so the edge and the workflow runner have a core to themselves; tests
 * and the side-by-side benchmarks run them in their own process.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { StoreConfig } from '../store/config.ts';
import type { ImageSigningPolicy } from '../store/imageSigning.ts';
import { createStores, type Stores } from '../store/Stores.ts';
import { AUDIT_TABLE, CAMPAIGNS_TABLE, CLAIMS_TABLE, CREDENTIALS_TABLE, DEVICES_TABLE, IDEMPOTENCY_TABLE, IMAGES_TABLE, JOBS_TABLE, REQUESTS_TABLE, TELEMETRY_TABLE, type TableSchema } from '../store/schema.ts';
import { forkEmulatorServers } from './emulatorChild.ts';
import { startEmulatorServers, type EmulatorServerOptions } from './emulatorServers.ts';

export interface EmulatorOptions extends EmulatorServerOptions {
  /** Run dynalite and s3rver in a child process (ended with this one) instead of this process. @default false */
  readonly inChildProcess?: boolean;
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
    const servers = options.inChildProcess === true ? await forkEmulatorServers(serverOptions(options)) : await startEmulatorServers(serverOptions(options));
    closers.push(() => servers.stop());

    const config: StoreConfig = {
      region: 'us-east-1',
      dynamoDbEndpoint: `http://127.0.0.1:${servers.dynamoDbPort}`,
      s3Endpoint: `http://127.0.0.1:${servers.s3Port}`,
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

function serverOptions(options: EmulatorOptions): EmulatorServerOptions {
  return {
    ...(options.dynamoDbPort === undefined ? {} : { dynamoDbPort: options.dynamoDbPort }),
    ...(options.s3Port === undefined ? {} : { s3Port: options.s3Port }),
    ...(options.dataDirectory === undefined ? {} : { dataDirectory: options.dataDirectory }),
  };
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
    Projection: typeof index.projection === 'object' ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection.include] } : { ProjectionType: index.projection ?? 'ALL' },
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    ...(indexes.length === 0 ? {} : { GlobalSecondaryIndexes: indexes }),
  };
}
