import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import type { StoreConfig } from './config.ts';
import { createAwsClients, type AwsClients } from './clients.ts';
import { DynamoDbRegistrationStore } from './DynamoDbRegistrationStore.ts';
import { DynamoDbJobStore } from './DynamoDbJobStore.ts';
import type { JobStore } from '../core/ports/JobStore.ts';
import { DynamoDbCampaignStore } from './DynamoDbCampaignStore.ts';
import { DynamoDbDeviceRequestStore } from './DynamoDbDeviceRequestStore.ts';
import { S3FirmwareImageRegistry } from './ImageRegistry.ts';
import { DynamoDbTelemetryStore } from './DynamoDbTelemetryStore.ts';
import { createEventPublisher } from './events.ts';
import { DynamoDbDeviceTagStore, type DeviceTagStore } from './DynamoDbDeviceTagStore.ts';
import { DynamoDbFleetInventory, type FleetInventory } from './DynamoDbFleetInventory.ts';
import { publishingJobStore } from './PublishingJobStore.ts';
import { EventBusCampaignNotifier, notifyingCampaignStore, WebhookCampaignNotifier } from './campaignNotifications.ts';
import { DynamoDbCredentialStore, KmsEnvelopeProtector, LocalKeyFileProtector } from './DeviceCredentialStore.ts';
import { awsKmsApi } from './kmsApi.ts';
import { DynamoDbDeviceClaimStore } from './DeviceClaimStore.ts';
import { DynamoDbImageReservationStore } from './ImageReservations.ts';
import type { CampaignStore } from '../core/ports/CampaignStore.ts';
import type { CredentialStore } from '../core/ports/CredentialStore.ts';
import type { DeviceClaimStore } from '../core/ports/DeviceClaimStore.ts';
import type { DeviceRequestStore } from '../core/ports/DeviceRequestStore.ts';
import type { EventPublisher } from '../core/ports/EventPublisher.ts';
import type { FirmwareImageRegistry } from '../core/ports/FirmwareImageRegistry.ts';
import type { ImageReservationStore } from '../core/ports/ImageReservationStore.ts';
import type { RegistrationStore } from '../core/ports/RegistrationStore.ts';
import type { TelemetryStore } from '../core/ports/TelemetryStore.ts';
import { DynamoDbAuditStore, type AuditStore } from './AuditStore.ts';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';

export interface StoreOptions {
  /** The dashboard's address as known now (locally: once the API listens). @default config.notifications.dashboardUrl */
  readonly dashboardUrl?: () => string | undefined;
  /** Hears a campaign notification that could not be sent. @default a JSON line on stderr */
  readonly onNotificationError?: (error: unknown) => void;
}

/** A notification that could not be sent: one structured line on stderr (CloudWatch keeps the Lambda's). */
function reportNotificationError(error: unknown): void {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  process.stderr.write(`${JSON.stringify({ level: 'WARN', message: error instanceof Error ? error.message : String(error), ...(cause === undefined ? {} : { cause }) })}\n`);
}

function reportLostRegistration(registration: DeviceRegistration, error: unknown): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', message: 'registration not written: the device gets 4.04 on its next Update and registers again', endpoint: registration.endpoint, error: error instanceof Error ? error.message : String(error) })}\n`);
}

/** Every store a process needs, built once from one configuration. */
export interface Stores {
  readonly clients: AwsClients;
  readonly registrations: RegistrationStore;
  /** Operator groups and attributes, on the registry's device items. */
  readonly deviceTags: DeviceTagStore;
  /** Projected fleet-wide scans for the inventory. */
  readonly fleet: FleetInventory;
  readonly jobs: JobStore;
  readonly campaigns: CampaignStore;
  readonly images: FirmwareImageRegistry;
  readonly requests: DeviceRequestStore;
  readonly telemetry: TelemetryStore;
  readonly events: EventPublisher;
  readonly credentials: CredentialStore;
  /** Which campaign holds each device: one firmware job per device at a time. */
  readonly claims: DeviceClaimStore;
  /** Which unfinished campaigns hold each image (delete and create exclude each other). */
  readonly imageReservations: ImageReservationStore;
  /** Where idempotent requests (POST /campaigns with an Idempotency-Key) keep their first answer. */
  readonly idempotency: BasePersistenceLayer;
  /** Who did what to which credential or image, and when. */
  readonly audit: AuditStore;
}

export function createStores(config: StoreConfig, options: StoreOptions = {}): Stores {
  const clients = createAwsClients(config);
  const events = createEventPublisher(config);
  const jobs = publishingJobStore(new DynamoDbJobStore(clients.dynamo, config.tables.jobs), events);
  const webhook = config.notifications?.webhookUrl;
  const campaigns = notifyingCampaignStore(new DynamoDbCampaignStore(clients.dynamo, config.tables.campaigns), {
    notifiers: [new EventBusCampaignNotifier(events), ...(webhook === undefined ? [] : [new WebhookCampaignNotifier(webhook)])],
    jobs,
    dashboardUrl: options.dashboardUrl ?? (() => config.notifications?.dashboardUrl),
    onError: options.onNotificationError ?? reportNotificationError,
  });
  return {
    clients,
    // A Register whose batched write is given up is logged: the device re-registers on its next Update's 4.04.
    registrations: new DynamoDbRegistrationStore(clients.dynamo, config.tables.devices, { onLost: reportLostRegistration }),
    deviceTags: new DynamoDbDeviceTagStore(clients.dynamo, config.tables.devices),
    fleet: new DynamoDbFleetInventory(clients.dynamo, { devices: config.tables.devices, jobs: config.tables.jobs }),
    // Every job transition is also published (EventBridge in AWS, the in-process log locally).
    jobs,
    // Status changes people are told about go out as campaign notifications (store/campaignNotifications.ts).
    campaigns,
    images: new S3FirmwareImageRegistry(clients.dynamo, clients.s3, config.tables.images, config.imageBucket, {
      // Presigned URLs carry the endpoint's scheme: plain http against a local S3 (s3rver).
      downloadScheme: config.s3Endpoint?.startsWith('http:') === true ? 'http' : 'https',
      ...(config.imageSigning === undefined ? {} : { signing: config.imageSigning }),
    }),
    requests: new DynamoDbDeviceRequestStore(clients.dynamo, config.tables.requests, config.retentionDays),
    telemetry: new DynamoDbTelemetryStore(clients.dynamo, config.tables.telemetry, config.retentionDays),
    events,
    claims: new DynamoDbDeviceClaimStore(clients.dynamo, config.tables.claims),
    imageReservations: new DynamoDbImageReservationStore(clients.dynamo, config.tables.images),
    audit: new DynamoDbAuditStore(clients.dynamo, config.tables.audit),
    idempotency: new DynamoDBPersistenceLayer({ tableName: config.tables.idempotency, awsSdkV3Client: clients.dynamoClient }),
    // KMS envelope encryption in AWS; a local key file at home.
    credentials: new DynamoDbCredentialStore(
      clients.dynamo,
      config.tables.credentials,
      config.kmsKeyId === undefined ? new LocalKeyFileProtector(config.keyFile) : new KmsEnvelopeProtector(awsKmsApi(config.region), config.kmsKeyId),
    ),
  };
}
