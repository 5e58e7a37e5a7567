import { RemovalPolicy, Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CAMPAIGNS_TABLE, DEVICES_TABLE, IMAGES_TABLE, JOBS_TABLE, type KeyAttribute, type TableSchema } from '../../store/schema.ts';

export interface FotaStorageProps {
  /** Keep tables and bucket when the stack is deleted. @default true */
  readonly retain?: boolean;
}

/** The stateful resources: device registry, jobs, campaigns, image metadata, and the image bucket. */
export class FotaStorage extends Construct {
  readonly devices: dynamodb.Table;
  readonly jobs: dynamodb.Table;
  readonly campaigns: dynamodb.Table;
  readonly images: dynamodb.Table;
  readonly imageBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: FotaStorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.retain === false ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.devices = this.table('Devices', DEVICES_TABLE, removalPolicy);
    this.jobs = this.table('Jobs', JOBS_TABLE, removalPolicy);
    this.campaigns = this.table('Campaigns', CAMPAIGNS_TABLE, removalPolicy);
    this.images = this.table('Images', IMAGES_TABLE, removalPolicy);
    this.imageBucket = new s3.Bucket(this, 'ImageBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy,
      autoDeleteObjects: false,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
  }

  private table(id: string, schema: TableSchema, removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: attribute(schema.partitionKey),
      ...(schema.sortKey === undefined ? {} : { sortKey: attribute(schema.sortKey) }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
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
