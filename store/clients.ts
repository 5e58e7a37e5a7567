import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { StoreConfig } from './config.ts';
import { cacheSigner, presenceOnlySigner } from './sdkSigning.ts';

export interface AwsClients {
  readonly dynamo: DynamoDBDocumentClient;
  /** The plain client under `dynamo`, for libraries that marshal items themselves (Powertools' idempotency). */
  readonly dynamoClient: DynamoDBClient;
  readonly s3: S3Client;
}

/** Local endpoints (dynalite, s3rver) take any credentials; in AWS the default chain applies. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Connections kept open and enough of them for an edge task's burst of batched calls (the SDK's
 * default is 50 sockets): a Register burst never waits for a TCP (and TLS) handshake.
 */
const MAX_SOCKETS = 256;

export function createAwsClients(config: StoreConfig): AwsClients {
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS };
  const local = config.dynamoDbEndpoint !== undefined;
  const dynamoClient = new DynamoDBClient({
    region: config.region,
    requestHandler: { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent(agentOptions) },
    // No account id in the endpoint: the endpoint is resolved from the region alone (and cached),
    // without waiting on the credentials for each call's endpoint parameters.
    accountIdEndpointMode: 'disabled',
    ...(local ? { endpoint: config.dynamoDbEndpoint, credentials: LOCAL_CREDENTIALS, signer: presenceOnlySigner('dynamodb') } : {}),
  });
  if (local) {
    // The SDK's user agent is telemetry for AWS, built anew for every call (2% of the load test's
    // CPU): a step of the same name that does nothing (Powertools places its own after it).
    dynamoClient.middlewareStack.add((next) => next, { name: 'getUserAgentMiddleware', step: 'build', priority: 'low', override: true });
  } else {
    cacheSigner(dynamoClient.config);
  }
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
