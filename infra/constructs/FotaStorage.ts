import { RemovalPolicy, Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { credentialKeyPolicy, type CredentialKeyUsers } from './credentialKeyPolicy.ts';
import { CAMPAIGNS_TABLE, CLAIMS_TABLE, CREDENTIALS_TABLE, DEVICES_TABLE, IDEMPOTENCY_TABLE, IMAGES_TABLE, JOBS_TABLE, REQUESTS_TABLE, TELEMETRY_TABLE, type KeyAttribute, type TableSchema } from '../../store/schema.ts';

/** Object key prefix of verified firmware images in the image bucket (store/ImageRegistry.ts copies them to `images/<id>.bin`). */
export const IMAGE_KEY_PREFIX = 'images/';
/** Object key prefix presigned upload URLs write to (`uploads/<id>.bin`); devices are never served from it. */
export const UPLOAD_KEY_PREFIX = 'uploads/';

/** The tables, by the name the stores use for them. */
export type FotaTableName = 'devices' | 'jobs' | 'campaigns' | 'images' | 'requests' | 'telemetry' | 'credentials' | 'claims' | 'idempotency';

// The data-plane subsets of what Table.grantReadData/grantReadWriteData allow, without the stream
// actions: no table has a stream.
const READ_DATA_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
const WRITE_DATA_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

export interface FotaStorageProps {
  /**
   * Keep tables and buckets when the stack is deleted, and turn on DynamoDB deletion protection.
   * @default true
   */
  readonly retain?: boolean;
  /** @default 365 days */
  readonly accessLogRetention?: Duration;
  /** Who may use the device-PSK key, by IAM role path (infra/constructs/credentialKeyPolicy.ts). @default edge `/fota/edge/`, API `/fota/api/` */
  readonly credentialKeyUsers?: CredentialKeyUsers;
}

/** The stateful resources: device registry, jobs, campaigns, image metadata, and the image bucket. */
export class FotaStorage extends Construct {
  readonly devices: dynamodb.Table;
  readonly jobs: dynamodb.Table;
  readonly campaigns: dynamodb.Table;
  readonly images: dynamodb.Table;
  /** Device Management requests held until the owning edge task sends them. */
  readonly requests: dynamodb.Table;
  /** Notifications and Send values of devices. */
  readonly telemetry: dynamodb.Table;
  /** DTLS-PSK identities with their keys encrypted at rest. */
  readonly credentials: dynamodb.Table;
  /** Which campaign holds each device: one firmware job per device at a time. */
  readonly claims: dynamodb.Table;
  /** Idempotency records of campaign creation (Powertools' DynamoDB persistence layer). */
  readonly idempotency: dynamodb.Table;
  /** Master key of the envelope encryption of device PSKs (the edge decrypts, the API encrypts). */
  readonly credentialKey: kms.Key;
  readonly imageBucket: s3.Bucket;
  /** Server access logs of the image bucket: who fetched which firmware, for audits. */
  readonly accessLogBucket: s3.Bucket;
  /**
   * Read access to firmware image objects (`images/*`) and nothing else in the bucket. It lives
   * beside the bucket, so the one prefix wildcard of the system is declared and reviewed here.
   */
  readonly imageReadPolicy: iam.ManagedPolicy;
  /** Read, write and delete of firmware image objects (`images/*`): for the API (presigned uploads, delete). */
  readonly imageManagePolicy: iam.ManagedPolicy;

  private readonly schemas: ReadonlyMap<FotaTableName, { readonly table: dynamodb.Table; readonly schema: TableSchema }>;

  constructor(scope: Construct, id: string, props: FotaStorageProps = {}) {
    super(scope, id);
    const retain = props.retain !== false;
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.devices = this.table('Devices', DEVICES_TABLE, removalPolicy, retain);
    this.jobs = this.table('Jobs', JOBS_TABLE, removalPolicy, retain);
    this.campaigns = this.table('Campaigns', CAMPAIGNS_TABLE, removalPolicy, retain);
    this.images = this.table('Images', IMAGES_TABLE, removalPolicy, retain);
    this.requests = this.table('Requests', REQUESTS_TABLE, removalPolicy, retain);
    this.telemetry = this.table('Telemetry', TELEMETRY_TABLE, removalPolicy, retain);
    this.credentials = this.table('Credentials', CREDENTIALS_TABLE, removalPolicy, retain);
    this.claims = this.table('DeviceClaims', CLAIMS_TABLE, removalPolicy, retain);
    this.idempotency = this.table('Idempotency', IDEMPOTENCY_TABLE, removalPolicy, retain);
    this.credentialKey = new kms.Key(this, 'CredentialKey', {
      description: 'Envelope encryption of LwM2M device pre-shared keys',
      enableKeyRotation: true,
      removalPolicy,
      policy: credentialKeyPolicy(this, props.credentialKeyUsers ?? { decryptRolePath: '/fota/edge/', encryptRolePath: '/fota/api/' }),
    });
    this.schemas = new Map([
      ['requests', { table: this.requests, schema: REQUESTS_TABLE }],
      ['telemetry', { table: this.telemetry, schema: TELEMETRY_TABLE }],
      ['credentials', { table: this.credentials, schema: CREDENTIALS_TABLE }],
      ['devices', { table: this.devices, schema: DEVICES_TABLE }],
      ['jobs', { table: this.jobs, schema: JOBS_TABLE }],
      ['campaigns', { table: this.campaigns, schema: CAMPAIGNS_TABLE }],
      ['images', { table: this.images, schema: IMAGES_TABLE }],
      ['claims', { table: this.claims, schema: CLAIMS_TABLE }],
      ['idempotency', { table: this.idempotency, schema: IDEMPOTENCY_TABLE }],
    ]);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(365) }],
    });
    this.imageBucket = new s3.Bucket(this, 'ImageBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      removalPolicy,
      autoDeleteObjects: false,
      // `as`: under exactOptionalPropertyTypes a jsii class is not assignable to its interface.
      serverAccessLogsBucket: this.accessLogBucket as s3.IBucket,
      serverAccessLogsPrefix: 'image-bucket/',
      // Reads are pinned to the verified version; versioning keeps it when images/<id>.bin is
      // overwritten (nothing here overwrites it: an overwrite is tampering, seen at the next check).
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Upload bytes are copied at complete; what an old upload URL writes afterwards is never read.
        { prefix: UPLOAD_KEY_PREFIX, expiration: Duration.days(2) },
      ],
    });
    this.imageReadPolicy = new iam.ManagedPolicy(this, 'ImageReadPolicy', {
      description: 'Read firmware image objects (images/*) of the FOTA image bucket, at the verified version',
      // GetObjectVersion: reads and presigned GETs name the verified S3 version.
      statements: [new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [this.imageBucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`)] })],
    });
    this.imageManagePolicy = new iam.ManagedPolicy(this, 'ImageManagePolicy', {
      description: 'Upload (uploads/*), copy to images/*, read and delete firmware image objects of the FOTA image bucket',
      statements: [
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          resources: [this.imageBucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`), this.imageBucket.arnForObjects(`${UPLOAD_KEY_PREFIX}*`)],
        }),
      ],
    });
  }

  /** Every table of the store (alarms on throttling iterate over it). */
  get tables(): readonly dynamodb.Table[] {
    return [...this.schemas.values()].map(({ table }) => table);
  }

  /** Lets `grantee` read items of the tables and query their global secondary indexes, each named. */
  grantReadData(grantee: iam.IGrantable, ...tables: readonly FotaTableName[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_DATA_ACTIONS, resourceArns: this.tableArns(tables) });
  }

  /** Lets `grantee` read and write items of the tables and query their global secondary indexes. */
  grantReadWriteData(grantee: iam.IGrantable, ...tables: readonly FotaTableName[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: [...READ_DATA_ACTIONS, ...WRITE_DATA_ACTIONS], resourceArns: this.tableArns(tables) });
  }

  /**
   * The table ARNs plus one ARN per index by name, rather than CDK's `table/index/*`: the index
   * names are known (store/schema.ts), so no wildcard is needed.
   */
  private tableArns(tables: readonly FotaTableName[]): string[] {
    return tables.flatMap((name) => {
      const entry = this.schemas.get(name);
      if (entry === undefined) throw new Error(`unknown table ${name}`);
      return [entry.table.tableArn, ...entry.schema.globalSecondaryIndexes.map((index) => `${entry.table.tableArn}/index/${index.indexName}`)];
    });
  }

  private table(id: string, schema: TableSchema, removalPolicy: RemovalPolicy, deletionProtection: boolean): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: attribute(schema.partitionKey),
      ...(schema.sortKey === undefined ? {} : { sortKey: attribute(schema.sortKey) }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection,
      removalPolicy,
    });
    for (const index of schema.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey === undefined ? {} : { sortKey: attribute(index.sortKey) }),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}
