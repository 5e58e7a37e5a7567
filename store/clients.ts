import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { StoreConfig } from './config.ts';

export interface AwsClients {
  readonly dynamo: DynamoDBDocumentClient;
  /** The plain client under `dynamo`, for libraries that marshal items themselves (Powertools' idempotency). */
  readonly dynamoClient: DynamoDBClient;
  readonly s3: S3Client;
}

/** Local endpoints (dynalite, s3rver) take any credentials; in AWS the default chain applies. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function createAwsClients(config: StoreConfig): AwsClients {
  const dynamoClient = new DynamoDBClient({
    region: config.region,
    ...(config.dynamoDbEndpoint === undefined ? {} : { endpoint: config.dynamoDbEndpoint, credentials: LOCAL_CREDENTIALS }),
  });
  const dynamo = DynamoDBDocumentClient.from(dynamoClient, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const s3 = new S3Client({
    region: config.region,
    // Without WHEN_REQUIRED, streamed uploads to s3rver are stored with aws-chunked framing inside.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.s3Endpoint === undefined
      ? {}
      : { endpoint: config.s3Endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS }),
  });
  return { dynamo, dynamoClient, s3 };
}
