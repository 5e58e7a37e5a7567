import { RemovalPolicy, Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { credentialKeyPolicy, type CredentialKeyUsers } from './credentialKeyPolicy.ts';
import { AUDIT_TABLE, CAMPAIGNS_TABLE, CLAIMS_TABLE, CREDENTIALS_TABLE, DEVICES_TABLE, IDEMPOTENCY_TABLE, IMAGES_TABLE, JOBS_TABLE, REQUESTS_TABLE, TELEMETRY_TABLE, type IndexProjection, type KeyAttribute, type TableSchema } from '../../store/schema.ts';

/** Object key prefix of verified firmware images in the image bucket (store/ImageRegistry.ts copies them to `images/<id>.bin`). */
export const IMAGE_KEY_PREFIX = 'images/';
/** Object key prefix presigned upload URLs write to (`uploads/<id>.bin`); devices are never served from it. */
export const UPLOAD_KEY_PREFIX = 'uploads/';

/** The tables, by the name the stores use for them. */
export type FotaTableName = 'devices' | 'jobs' | 'campaigns' | 'images' | 'requests' | 'telemetry' | 'credentials' | 'claims' | 'idempotency' | 'audit';

// The data-plane subsets of what Table.grantReadData/grantReadWriteData allow, without the stream
// actions: no table has a stream.
const READ_DATA_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
const WRITE_DATA_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
// What DynamoDB asks KMS for on a caller's behalf when a table has a customer-managed key.
const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];

/**
 * AWS Backup's own service-role policies: DynamoDB (the default pair) and S3, which the default
 * pair does not cover (AWS Backup docs, "Amazon S3 backups": the S3 policies are separate).
 */
export const BACKUP_MANAGED_POLICIES = ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores', 'AWSBackupServiceRolePolicyForS3Backup', 'AWSBackupServiceRolePolicyForS3Restore'] as const;

/** The DynamoDB actions a role may be granted on a table, named for what the code does. */
export type TableAccess = 'read' | 'write' | 'delete';

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
  /**
   * Encrypt tables, the image bucket, backups and the stage's log groups with a customer-managed
   * key (`dataKey`), rotated yearly, instead of AWS-owned or AWS-managed keys. @default false
   */
  readonly customerManagedKeys?: boolean;
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
  /** Audit records of credential and image operations (who, what, when). */
  readonly audit: dynamodb.Table;
  /** Master key of the envelope encryption of device PSKs (the edge decrypts, the API encrypts). */
  readonly credentialKey: kms.Key;
  /** The stage's customer-managed data key (tables, image bucket, backups, log groups), when enabled. */
  readonly dataKey: kms.Key | undefined;
  /** Daily backups (35 days) and monthly ones (1 year) of every table and of the image bucket. */
  readonly backupPlan: backup.BackupPlan;
  /** The role AWS Backup assumes: AWS's managed backup and restore policies, DynamoDB's and S3's. */
  readonly backupRole: iam.Role;
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
    this.dataKey = props.customerManagedKeys === true ? this.createDataKey(removalPolicy) : undefined;
    this.devices = this.table('Devices', DEVICES_TABLE, removalPolicy, retain);
    this.jobs = this.table('Jobs', JOBS_TABLE, removalPolicy, retain);
    this.campaigns = this.table('Campaigns', CAMPAIGNS_TABLE, removalPolicy, retain);
    this.images = this.table('Images', IMAGES_TABLE, removalPolicy, retain);
    this.requests = this.table('Requests', REQUESTS_TABLE, removalPolicy, retain);
    this.telemetry = this.table('Telemetry', TELEMETRY_TABLE, removalPolicy, retain);
    this.credentials = this.table('Credentials', CREDENTIALS_TABLE, removalPolicy, retain);
    this.claims = this.table('DeviceClaims', CLAIMS_TABLE, removalPolicy, retain);
    this.idempotency = this.table('Idempotency', IDEMPOTENCY_TABLE, removalPolicy, retain);
    this.audit = this.table('Audit', AUDIT_TABLE, removalPolicy, retain);
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
      ['audit', { table: this.audit, schema: AUDIT_TABLE }],
    ]);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy,
      // Versioned, so a log object overwritten or deleted by mistake can be recovered (audits).
      versioned: true,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    this.imageBucket = new s3.Bucket(this, 'ImageBucket', {
      ...(this.dataKey === undefined ? { encryption: s3.BucketEncryption.S3_MANAGED } : { encryption: s3.BucketEncryption.KMS, encryptionKey: this.dataKey, bucketKeyEnabled: true }),
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
    this.backupRole = new iam.Role(this, 'BackupRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'AWS Backup of the FOTA tables and image bucket',
      managedPolicies: BACKUP_MANAGED_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(`service-role/${name}`)),
    });
    this.backupPlan = this.createBackupPlan(removalPolicy);
  }

  /** Every table of the store (alarms on throttling iterate over it). */
  get tables(): readonly dynamodb.Table[] {
    return [...this.schemas.values()].map(({ table }) => table);
  }

  /** Lets `grantee` read items of the tables and query their global secondary indexes, each named. */
  grantReadData(grantee: iam.IGrantable, ...tables: readonly FotaTableName[]): iam.Grant {
    return this.grantTables(grantee, ['read'], tables);
  }

  /** Lets `grantee` read, put and update (never delete) items of the tables and query their indexes. */
  grantReadWriteData(grantee: iam.IGrantable, ...tables: readonly FotaTableName[]): iam.Grant {
    return this.grantTables(grantee, ['read', 'write'], tables);
  }

  /**
   * Lets `grantee` do what `access` names on the tables (`delete` only where code deletes items),
   * with the data key's use when tables have one. `conditions` narrow the DynamoDB statement, e.g.
   * to requests through one VPC endpoint (`aws:SourceVpce`).
   */
  grantTables(grantee: iam.IGrantable, access: readonly TableAccess[], tables: readonly FotaTableName[], conditions?: Record<string, Record<string, unknown>>): iam.Grant {
    const actions = [...(access.includes('read') ? READ_DATA_ACTIONS : []), ...(access.includes('write') ? WRITE_DATA_ACTIONS : []), ...(access.includes('delete') ? ['dynamodb:DeleteItem'] : [])];
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: this.tableArns(tables), ...(conditions === undefined ? {} : { conditions }) });
    this.grantDataKey(grantee, access.some((a) => a !== 'read'));
    return grant;
  }

  /** Lets `grantee` decrypt (and with `write`, encrypt) with the data key, when there is one. */
  grantDataKey(grantee: iam.IGrantable, write: boolean): void {
    if (this.dataKey === undefined) return;
    iam.Grant.addToPrincipal({ grantee, actions: [...KEY_READ_ACTIONS, ...(write ? KEY_WRITE_ACTIONS : [])], resourceArns: [this.dataKey.keyArn] });
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

  /**
   * One key for the stage's data at rest. CloudWatch Logs encrypts log groups with it only if the
   * key policy lets the Logs service use it for this account's log groups (AWS docs,
   * "Encrypt log data in CloudWatch Logs using AWS KMS").
   */
  private createDataKey(removalPolicy: RemovalPolicy): kms.Key {
    const key = new kms.Key(this, 'DataKey', { description: 'FOTA data at rest: tables, firmware images, backups, log groups', enableKeyRotation: true, removalPolicy });
    const stack = Stack.of(this);
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
    }));
    return key;
  }

  private createBackupPlan(removalPolicy: RemovalPolicy): backup.BackupPlan {
    const vault = new backup.BackupVault(this, 'BackupVault', { ...(this.dataKey === undefined ? {} : { encryptionKey: this.dataKey }), removalPolicy });
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupVault: vault,
      backupPlanRules: [backup.BackupPlanRule.daily(), backup.BackupPlanRule.monthly1Year()],
    });
    plan.addSelection('TablesAndImages', {
      resources: [...this.tables.map((table) => backup.BackupResource.fromDynamoDbTable(table)), backup.BackupResource.fromArn(this.imageBucket.bucketArn)],
      role: this.backupRole,
    });
    return plan;
  }

  private table(id: string, schema: TableSchema, removalPolicy: RemovalPolicy, deletionProtection: boolean): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: attribute(schema.partitionKey),
      ...(schema.sortKey === undefined ? {} : { sortKey: attribute(schema.sortKey) }),
      ...(schema.timeToLiveAttribute === undefined ? {} : { timeToLiveAttribute: schema.timeToLiveAttribute }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(this.dataKey === undefined ? { encryption: dynamodb.TableEncryption.AWS_MANAGED } : { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.dataKey }),
      deletionProtection,
      removalPolicy,
    });
    for (const index of schema.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey === undefined ? {} : { sortKey: attribute(index.sortKey) }),
        ...projection(index.projection),
      });
    }
    return table;
  }
}

function projection(projected: IndexProjection = 'ALL'): Pick<dynamodb.GlobalSecondaryIndexProps, 'projectionType' | 'nonKeyAttributes'> {
  if (projected === 'ALL') return { projectionType: dynamodb.ProjectionType.ALL };
  if (projected === 'KEYS_ONLY') return { projectionType: dynamodb.ProjectionType.KEYS_ONLY };
  return { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...projected.include] };
}

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}
