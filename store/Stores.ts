import type { StoreConfig } from './config.ts';
import { createAwsClients, type AwsClients } from './clients.ts';
import { DynamoDbRegistrationStore, type RegistrationStore } from './DynamoDbRegistrationStore.ts';
import { DynamoDbDeviceTagStore, type DeviceTagStore } from './DynamoDbDeviceTagStore.ts';
import { DynamoDbFleetInventory, type FleetInventory } from './DynamoDbFleetInventory.ts';
import { DynamoDbJobStore, type JobStore } from './DynamoDbJobStore.ts';
import { DynamoDbCampaignStore, type CampaignStore } from './DynamoDbCampaignStore.ts';
import { DynamoDbDeviceRequestStore, type DeviceRequestStore } from './DynamoDbDeviceRequestStore.ts';
import { S3FirmwareImageRegistry, type FirmwareImageRegistry } from './ImageRegistry.ts';
import { DynamoDbTelemetryStore, type TelemetryStore } from './DynamoDbTelemetryStore.ts';
import { createEventPublisher, type EventPublisher } from './events.ts';
import { publishingJobStore } from './PublishingJobStore.ts';
import { DynamoDbCredentialStore, KmsEnvelopeProtector, LocalKeyFileProtector, type CredentialStore } from './DeviceCredentialStore.ts';
import { awsKmsApi } from './kmsApi.ts';
import { DynamoDbDeviceClaimStore, type DeviceClaimStore } from './DeviceClaimStore.ts';
import { DynamoDbImageReservationStore, type ImageReservationStore } from './ImageReservations.ts';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';

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
}

export function createStores(config: StoreConfig): Stores {
  const clients = createAwsClients(config);
  const events = createEventPublisher(config);
  return {
    clients,
    registrations: new DynamoDbRegistrationStore(clients.dynamo, config.tables.devices),
    deviceTags: new DynamoDbDeviceTagStore(clients.dynamo, config.tables.devices),
    fleet: new DynamoDbFleetInventory(clients.dynamo, { devices: config.tables.devices, jobs: config.tables.jobs }),
    // Every job transition is also published (EventBridge in AWS, the in-process log locally).
    jobs: publishingJobStore(new DynamoDbJobStore(clients.dynamo, config.tables.jobs), events),
    campaigns: new DynamoDbCampaignStore(clients.dynamo, config.tables.campaigns),
    images: new S3FirmwareImageRegistry(clients.dynamo, clients.s3, config.tables.images, config.imageBucket, {
      // Presigned URLs carry the endpoint's scheme: plain http against a local S3 (s3rver).
      downloadScheme: config.s3Endpoint?.startsWith('http:') === true ? 'http' : 'https',
      ...(config.imageSigning === undefined ? {} : { signing: config.imageSigning }),
    }),
    requests: new DynamoDbDeviceRequestStore(clients.dynamo, config.tables.requests),
    telemetry: new DynamoDbTelemetryStore(clients.dynamo, config.tables.telemetry),
    events,
    claims: new DynamoDbDeviceClaimStore(clients.dynamo, config.tables.claims),
    imageReservations: new DynamoDbImageReservationStore(clients.dynamo, config.tables.images),
    idempotency: new DynamoDBPersistenceLayer({ tableName: config.tables.idempotency, awsSdkV3Client: clients.dynamoClient }),
    // KMS envelope encryption in AWS; a local key file at home.
    credentials: new DynamoDbCredentialStore(
      clients.dynamo,
      config.tables.credentials,
      config.kmsKeyId === undefined ? new LocalKeyFileProtector(config.keyFile) : new KmsEnvelopeProtector(awsKmsApi(config.region), config.kmsKeyId),
    ),
  };
}
