/**
 * Key schemas of the DynamoDB tables: pure data shared by the local stack (which creates the
 * tables in dynalite) and infra/ (which declares them in CDK), so both always agree.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/**
 * What a global secondary index holds of an item: all of it, its keys only, or its keys and the
 * attributes named. DynamoDB writes an index whenever an attribute it holds changes, sized by what
 * it holds; a KEYS_ONLY index is written only when the item enters or leaves it or its index key
 * changes (readers then get the item from the table by its key), an INCLUDE index also when one
 * of its attributes changes.
 */
export type IndexProjection = 'ALL' | 'KEYS_ONLY' | { readonly include: readonly string[] };

export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** @default 'ALL' */
  readonly projection?: IndexProjection;
}

export interface TableSchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly IndexSchema[];
  /** Attribute holding an item's expiry (epoch seconds) for DynamoDB TTL, when items expire. */
  readonly timeToLiveAttribute?: string;
}

/** The TTL attribute (epoch seconds) of the tables whose items expire: telemetry values and device requests. */
export const TTL_ATTRIBUTE = 'ttl';

export const DEVICES_BY_REGISTRATION_INDEX = 'byRegistrationId';

/**
 * Devices: one item per endpoint name, the current registration. byRegistrationId resolves the
 * `/rd/{id}` of an Update or De-register: ids are random (LwM2M 1.1 §6.2.1 leaves them to the
 * server), so they no longer carry the endpoint name. It holds keys only, and a device that
 * registers again keeps its id (coap-edge/registration/RegistrationService.ts): no write to a
 * device item but its first Register, a Register with a new id and a De-register costs the index
 * anything; its reader gets the device from the table by the endpoint it finds.
 */
export const DEVICES_TABLE: TableSchema = {
  partitionKey: { name: 'endpoint', type: 'S' },
  globalSecondaryIndexes: [{ indexName: DEVICES_BY_REGISTRATION_INDEX, partitionKey: { name: 'registrationId', type: 'S' }, projection: 'KEYS_ONLY' }],
};

export const JOBS_BY_ENDPOINT_INDEX = 'byEndpoint';
export const JOBS_BY_OWNER_INDEX = 'byOwner';
export const JOBS_BY_TOKEN_INDEX = 'byToken';

/**
 * What byOwner holds of a job besides its keys: what the job's other writers (the workflow) change
 * while an edge task owns it, so that the task sees in its listing which jobs to read again: a
 * retry (`attempt`), a cancel requested. The task's own transitions change none of them: they
 * cost the index nothing. `installRequested` is no longer written (a cohort's install is asked
 * for once, on the campaign: core/jobs/cohortInstall.ts) and costs nothing; it stays in the
 * projection because a deployed index's projection cannot change in place (CloudFormation would
 * have to drop and re-create the index in one update, which DynamoDB refuses).
 */
export const JOBS_BY_OWNER_ATTRIBUTES = ['attempt', 'installRequested', 'cancelRequested'] as const;

/**
 * Jobs: one item per (campaign, device). The sort key starts with the cohort so a cohort is one
 * Query. byOwner is how an edge task finds the work for the devices it owns (ARCHITECTURE.md,
 * "Reaching devices"); byToken resolves the Package URI token of a job whose key is too long to
 * ride in its token (core/jobs/packageToken.ts: it is sparse, most jobs have no `downloadToken`
 * and cost it nothing); byEndpoint finds a device's jobs when it registers elsewhere than where
 * its job is held. byToken and byEndpoint hold keys only: their keys never change after the job
 * is created (a retry's new token aside), so every later write to the job costs them nothing;
 * their readers get the few jobs they find from the table. byOwner holds the keys and
 * JOBS_BY_OWNER_ATTRIBUTES, under a key that no transition changes: a job costs it one write when
 * the workflow releases it to a task and one when it ends (it is sparse: the terminal transition
 * removes `ownerTask`), and none for the edge's own transitions. The edge keeps the jobs it owns in memory, written through it, and reads a job from
 * the table only when its entry is new or changed (coap-edge/jobs/OwnedJobs.ts).
 */
export const JOBS_TABLE: TableSchema = {
  partitionKey: { name: 'campaignId', type: 'S' },
  sortKey: { name: 'jobKey', type: 'S' },
  globalSecondaryIndexes: [
    { indexName: JOBS_BY_ENDPOINT_INDEX, partitionKey: { name: 'endpoint', type: 'S' }, sortKey: { name: 'campaignId', type: 'S' }, projection: 'KEYS_ONLY' },
    { indexName: JOBS_BY_OWNER_INDEX, partitionKey: { name: 'ownerTask', type: 'S' }, projection: { include: JOBS_BY_OWNER_ATTRIBUTES } },
    { indexName: JOBS_BY_TOKEN_INDEX, partitionKey: { name: 'downloadToken', type: 'S' }, projection: 'KEYS_ONLY' },
  ],
};

export const CAMPAIGNS_TABLE: TableSchema = {
  partitionKey: { name: 'campaignId', type: 'S' },
  globalSecondaryIndexes: [],
};

export const IMAGES_TABLE: TableSchema = {
  partitionKey: { name: 'imageId', type: 'S' },
  globalSecondaryIndexes: [],
};

export const REQUESTS_BY_OWNER_INDEX = 'byOwner';
export const REQUESTS_BY_ENDPOINT_INDEX = 'byEndpoint';

/** Device Management requests waiting for (or answered by) a device; see core/devices/DeviceRequest.ts. */
export const REQUESTS_TABLE: TableSchema = {
  partitionKey: { name: 'requestId', type: 'S' },
  globalSecondaryIndexes: [
    { indexName: REQUESTS_BY_OWNER_INDEX, partitionKey: { name: 'ownerTask', type: 'S' }, sortKey: { name: 'status', type: 'S' } },
    { indexName: REQUESTS_BY_ENDPOINT_INDEX, partitionKey: { name: 'endpoint', type: 'S' }, sortKey: { name: 'createdAt', type: 'N' } },
  ],
  timeToLiveAttribute: TTL_ATTRIBUTE,
};

/**
 * Telemetry: values devices reported by Send or in notifications (core/devices/Telemetry.ts),
 * one item per measured value; the sort key `at#path` gives a device's latest values first with
 * one descending Query.
 */
export const TELEMETRY_TABLE: TableSchema = {
  partitionKey: { name: 'endpoint', type: 'S' },
  sortKey: { name: 'sampleKey', type: 'S' },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: TTL_ATTRIBUTE,
};

/** DTLS-PSK credentials by identity; keys encrypted at rest (store/DeviceCredentialStore.ts). */
export const CREDENTIALS_TABLE: TableSchema = {
  partitionKey: { name: 'identity', type: 'S' },
  globalSecondaryIndexes: [],
};

/**
 * Device claims: one item per endpoint naming the campaign that may send it firmware. A campaign
 * claims a device with a conditional write before it plans a job for it (store/DeviceClaimStore.ts),
 * so two campaigns never hold the same device: "one firmware job per device at a time".
 */
export const CLAIMS_TABLE: TableSchema = {
  partitionKey: { name: 'endpoint', type: 'S' },
  globalSecondaryIndexes: [],
};

/**
 * Idempotency records of `POST /campaigns` (Powertools' DynamoDBPersistenceLayer: key attribute
 * `id`, one item per actor and Idempotency-Key, holding the first answer).
 */
export const IDEMPOTENCY_TABLE: TableSchema = {
  partitionKey: { name: 'id', type: 'S' },
  globalSecondaryIndexes: [],
};

/**
 * Audit records of credential and image operations (store/AuditStore.ts): one item per
 * operation, keyed by what it concerns (`credential:<identity>`, `image:<imageId>`) and
 * `<at, zero-padded>#<random>`, so a subject's history is one Query, oldest first. Never expires.
 */
export const AUDIT_TABLE: TableSchema = {
  partitionKey: { name: 'subject', type: 'S' },
  sortKey: { name: 'recordKey', type: 'S' },
  globalSecondaryIndexes: [],
};
