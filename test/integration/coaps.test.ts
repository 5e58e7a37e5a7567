import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { LocalStack } from '../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { jobKeyFor } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';

const run = promisify(execFile);
const IDENTITY = 'secure-meter-id';
const KEY = 'secretPSK-meter!';

describe('CoAPS: DTLS 1.2 PSK on the edge with provisioned device credentials', () => {
  let stack: LocalStack;
  let coaps: string;

  const coapClient = (args: string[]) => run('coap-client-openssl', ['-B', '10', ...args], { timeout: 20_000 }).catch((error: { stdout?: string; stderr?: string; code?: number }) => error);
  const register = (endpoint: string, key = KEY) => coapClient(['-u', IDENTITY, '-k', key, '-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>,</5/0>', `${coaps}/rd?ep=${endpoint}&lt=120&lwm2m=1.1`]);

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent' });
    const secure = stack.edge.secureAddress;
    if (secure === undefined) throw new Error('the local stack has no CoAPS listener');
    coaps = `coaps://127.0.0.1:${secure.port}`;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('provisions a credential through the API and keeps the key encrypted at rest, never returned', async () => {
    const response = await fetch(`${stack.apiUrl}/devices/secure-meter/credentials`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: IDENTITY, keyHex: Buffer.from(KEY).toString('hex') }) });
    expect(response.status).toBe(201);
    const shown = (await (await fetch(`${stack.apiUrl}/credentials/${IDENTITY}`)).json()) as Record<string, unknown>;
    expect(shown).toEqual({ identity: IDENTITY, endpoint: 'secure-meter', createdAt: expect.any(Number) });
    const stored = await stack.stores.clients.dynamo.send(new GetCommand({ TableName: stack.config.tables.credentials, Key: { identity: IDENTITY } }));
    const raw = JSON.stringify(stored.Item);
    expect(raw).not.toContain(KEY);
    expect(raw).not.toContain(Buffer.from(KEY).toString('hex'));
    expect(raw).not.toContain(Buffer.from(KEY).toString('base64'));
    expect(await stack.stores.credentials.pskFor(IDENTITY)).toEqual(Buffer.from(KEY));
  });

  it('registers libcoap coap-client over coaps:// and records the PSK identity', async () => {
    await register('secure-meter');
    const registration = await stack.stores.registrations.get('secure-meter');
    expect(registration).toMatchObject({ endpoint: 'secure-meter', pskIdentity: IDENTITY, lifetimeSeconds: 120 });
  });

  it('refuses an identity registering as another device, and a NoSec downgrade of a secure device', async () => {
    await register('someone-else');
    expect(await stack.stores.registrations.get('someone-else')).toBeUndefined();
    const before = await stack.stores.registrations.get('secure-meter');
    await coapClient(['-m', 'post', '-t', '40', '-e', '</3/0>', `coap://127.0.0.1:${stack.edge.address.port}/rd?ep=secure-meter&lt=120`]);
    expect((await stack.stores.registrations.get('secure-meter'))?.registrationId).toBe(before?.registrationId);
  });

  it('rejects a wrong key at the handshake and keeps serving good clients', async () => {
    const failed = (await register('secure-meter', 'not-the-right-key')) as { code?: number };
    expect(failed.code).not.toBe(0);
    const before = (await stack.stores.registrations.get('secure-meter'))?.registeredAt ?? 0;
    await register('secure-meter');
    expect((await stack.stores.registrations.get('secure-meter'))?.registeredAt).toBeGreaterThan(before);
  });

  it('serves a firmware image block-wise over coaps://, bytes intact', async () => {
    const bytes = buildFirmwarePackage('7.0.0', 3000);
    const image = await stack.stores.images.store({ version: '7.0.0', models: ['ANY'] }, bytes);
    const token = randomBytes(12).toString('base64url');
    const now = Date.now();
    await stack.stores.jobs.createJobs([
      { campaignId: 'coaps', jobKey: jobKeyFor(0, 'secure-meter'), endpoint: 'secure-meter', cohort: 0, status: JobStatus.Downloading, version: 2, attempt: 0, imageId: image.imageId, targetVersion: '7.0.0', downloadToken: token, createdAt: now, updatedAt: now, history: [] },
    ]);
    const output = join(await mkdtemp(join(tmpdir(), 'fota-coaps-')), 'image.bin');
    await run('coap-client-openssl', ['-u', IDENTITY, '-k', KEY, '-b', '64', '-B', '30', '-o', output, `${coaps}/fw/${token}`], { timeout: 60_000 });
    expect(Buffer.compare(await readFile(output), bytes)).toBe(0);
  });
});
