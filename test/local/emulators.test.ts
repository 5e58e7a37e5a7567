import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { openDynaliteIterators } from '../../local/dynaliteIterators.ts';

const QUERIES = 400;

describe('the local emulators', () => {
  let emulators: Emulators;

  beforeAll(async () => {
    emulators = await startEmulators();
  });

  afterAll(async () => {
    await emulators.stop();
  });

  it('close the LevelDB iterator of every Query once its page is read (dynalite 4 leaked one per Query)', async () => {
    // Prepare
    const { stores, config } = emulators;
    for (let i = 0; i < 5; i++) {
      await stores.clients.dynamo.send(new PutItemCommand({ TableName: config.tables.devices, Item: { endpoint: { S: `device-${i}` }, ownerTask: { S: 'task-1' } } }));
    }
    const before = openDynaliteIterators();

    // Act
    for (let i = 0; i < QUERIES; i++) {
      await stores.clients.dynamo.send(new QueryCommand({ TableName: config.tables.devices, KeyConditionExpression: 'endpoint = :e', ExpressionAttributeValues: { ':e': { S: `device-${i % 5}` } } }));
    }
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(openDynaliteIterators() - before).toBeLessThan(5);
  });

  it('listen on the ports they are given', async () => {
    // Prepare
    const free = await startEmulators();
    const dynamoDbPort = Number(new URL(free.config.dynamoDbEndpoint ?? '').port);
    const s3Port = Number(new URL(free.config.s3Endpoint ?? '').port);
    await free.stop();

    // Act
    const pinned = await startEmulators({ dynamoDbPort, s3Port });

    // Assess
    try {
      expect(pinned.config.dynamoDbEndpoint).toBe(`http://127.0.0.1:${dynamoDbPort}`);
      expect(pinned.config.s3Endpoint).toBe(`http://127.0.0.1:${s3Port}`);
    } finally {
      await pinned.stop();
    }
  });
});
