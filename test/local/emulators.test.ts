import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { forkEmulatorServers } from '../../local/emulatorChild.ts';
import { openDynaliteIterators } from '../../local/dynaliteIterators.ts';
import { eventually } from '../integration/eventually.ts';

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

  it('run in a child process that serves the stores and is gone once stopped', async () => {
    // Prepare
    const inChild = await startEmulators({ inChildProcess: true });
    const { stores, config } = inChild;
    await stores.clients.dynamo.send(new PutItemCommand({ TableName: config.tables.devices, Item: { endpoint: { S: 'child-device' }, ownerTask: { S: 'task-1' } } }));
    const read = await stores.clients.dynamo.send(new GetItemCommand({ TableName: config.tables.devices, Key: { endpoint: { S: 'child-device' } } }));
    const dynamoDbPort = Number(new URL(config.dynamoDbEndpoint ?? '').port);

    // Act
    await inChild.stop();

    // Assess
    expect(read.Item?.['ownerTask']).toEqual({ S: 'task-1' });
    expect(await accepts(dynamoDbPort)).toBe(false);
  });

  it('in a child process, serve every stack its parent starts from one child, each stopped on its own', async () => {
    // Prepare
    const first = await forkEmulatorServers();
    const second = await forkEmulatorServers();

    // Act
    await first.stop();

    // Assess
    expect(second.pid).toBe(first.pid);
    expect(second.dynamoDbPort).not.toBe(first.dynamoDbPort);
    expect(await accepts(first.dynamoDbPort)).toBe(false);
    expect(await accepts(second.dynamoDbPort)).toBe(true);
    expect(isRunning(second.pid)).toBe(true);
    await second.stop();
    expect(await accepts(second.s3Port)).toBe(false);
  });

  it('in a child process, end when their parent is killed (no orphan emulators)', async () => {
    // Prepare
    const parent = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./emulatorParent.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await createInterface({ input: parent.stdout })[Symbol.asyncIterator]().next().then((next) => [next.value as string]);
    const child = JSON.parse(line ?? '{}') as { pid: number; dynamoDbPort: number };
    expect(isRunning(child.pid)).toBe(true);

    // Act
    parent.kill('SIGKILL');

    // Assess
    await eventually(() => expect(isRunning(child.pid)).toBe(false), { what: `the emulator process ${child.pid} to exit after its parent died` });
    expect(await accepts(child.dynamoDbPort)).toBe(false);
  });
});

/** Whether the process runs (Linux): an exited one not reaped yet (a zombie, state Z) does not. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
