import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../../local/LocalStack.ts';
import { Fleet } from '../../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../../sim/firmwarePackage.ts';
import { ROUTES } from '../../../functions/api/routes/index.ts';
import type { FirmwareImage } from '../../../core/images/FirmwareImage.ts';
import { jobKeyFor } from '../../../core/jobs/FirmwareJob.ts';
import { packageTokenOf } from '../../../core/jobs/packageToken.ts';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string; field?: string }; items?: Record<string, unknown>[]; nextCursor?: string };
}

/**
 * Every route of the REST API over real HTTP against the local stack: its answer to good input,
 * 400 naming the field for bad input, 404 for unknown ids, 405 for a wrong method and 409 for an
 * action the state does not allow. The last test checks that no route went untested.
 */
describe('REST API routes', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  let image: FirmwareImage;
  let finishedCampaignId: string;
  const exercised = new Set<string>();

  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  /** Marks a route (as written in the table) as exercised by this file. */
  const route = (method: string, path: string): void => {
    exercised.add(`${method} ${path}`);
  };
  const badRequest = (field: string) => ({ status: 400, body: { error: { field } } });
  const notFound = { status: 404, body: { error: { code: 'NOT_FOUND' } } };
  const conflict = { status: 409, body: { error: { code: 'ILLEGAL_ACTION' } } };
  const statusOf = async (campaignId: string) => (await stack.stores.campaigns.get(campaignId))?.status;
  const until = async (what: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      if (await what()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`not reached in ${timeoutMs} ms`);
  };

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    fleet = new Fleet({ size: 5, serverPort: stack.edge.address.port, endpointPrefix: 'api-meter', deviceOptions: () => ({ model: 'API-1', firmwareVersion: '1.0.0' }) });
    await fleet.start();
    await until(async () => (await stack.stores.registrations.list()).length === 5, 10_000);
    image = await stack.stores.images.store({ version: '1.1.0', models: ['API-1'] }, buildFirmwarePackage('1.1.0', 1024));
    const created = await call('POST', '/campaigns', { name: 'done', imageId: image.imageId, target: { endpoints: ['api-meter-00000', 'api-meter-00001'] }, pollSeconds: 1 });
    finishedCampaignId = String(created.body['campaignId']);
    await stack.stepFunctions.executions.get(String(created.body['executionId']))?.done;
  });

  afterAll(async () => {
    await fleet?.stop();
    await stack?.stop();
  });

  describe('service', () => {
    it('answers GET /health', async () => {
      route('GET', '/health');
      expect(await call('GET', '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    });

    it('answers 404 for a path no route has and 405 for a method a path does not allow', async () => {
      expect(await call('GET', '/no-such-thing')).toMatchObject(notFound);
      for (const [method, path] of [['POST', '/health'], ['PUT', '/campaigns'], ['DELETE', '/campaigns/x'], ['GET', '/campaigns/dry-run'], ['PATCH', '/devices'], ['POST', '/openapi.json'], ['PUT', '/images/x/complete']] as const) {
        expect(await call(method, path), `${method} ${path}`).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED' } } });
      }
    });

    it('answers 400 naming the parameter for a malformed percent-encoding in a path', async () => {
      expect(await call('GET', '/campaigns/%E0%A4%A')).toMatchObject(badRequest('campaignId'));
    });
  });

  describe('devices', () => {
    it('lists devices one page at a time, in endpoint order, following nextCursor', async () => {
      route('GET', '/devices');
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const { status, body } = await call('GET', `/devices?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`);
        expect(status).toBe(200);
        expect(body.items?.length).toBeLessThanOrEqual(2);
        seen.push(...(body.items ?? []).map((d) => String(d['endpoint'])));
        cursor = body.nextCursor;
        if (cursor === undefined) break;
      }
      expect(seen).toEqual(['api-meter-00000', 'api-meter-00001', 'api-meter-00002', 'api-meter-00003', 'api-meter-00004']);
      expect((await call('GET', '/devices')).body.nextCursor).toBeUndefined();
    });

    it('refuses a bad page size, a forged cursor and a bad filter with 400 naming the parameter', async () => {
      for (const limit of ['0', '1001', 'ten', '2.5', '']) expect(await call('GET', `/devices?limit=${limit}`), `limit=${limit}`).toMatchObject(badRequest('limit'));
      expect(await call('GET', '/devices?cursor=not*base64')).toMatchObject(badRequest('cursor'));
      expect(await call('GET', '/devices?cursor=A')).toMatchObject(badRequest('cursor'));
      expect(await call('GET', '/devices?online=maybe')).toMatchObject(badRequest('online'));
    });

    it('shows one device, 404 for an unknown endpoint', async () => {
      route('GET', '/devices/{endpoint}');
      expect(await call('GET', '/devices/api-meter-00003')).toMatchObject({ status: 200, body: { endpoint: 'api-meter-00003', model: 'API-1', online: true } });
      expect(await call('GET', '/devices/nobody')).toMatchObject(notFound);
    });

    it('sends an operation, 400 naming the field for a bad one, 404 for an unknown endpoint', async () => {
      route('POST', '/devices/{endpoint}/operations');
      expect(await call('POST', '/devices/api-meter-00003/operations', { operation: { kind: 'read', path: '/3/0/1' } })).toMatchObject({ status: 200, body: { status: 'DONE', result: { values: { '/3/0/1': 'API-1' } } } });
      expect(await call('POST', '/devices/api-meter-00003/operations', { operation: { kind: 'read', path: 'three' } })).toMatchObject(badRequest('operation.path'));
      expect(await call('POST', '/devices/api-meter-00003/operations', { operation: { kind: 'read', path: '/3/0' }, waitSeconds: 99 })).toMatchObject(badRequest('waitSeconds'));
      expect((await call('POST', '/devices/api-meter-00003/operations', '{oops')).status).toBe(400);
      expect(await call('POST', '/devices/nobody/operations', { operation: { kind: 'read', path: '/3/0' } })).toMatchObject(notFound);
    });

    it('shows a device request, 404 for an unknown one', async () => {
      route('GET', '/requests/{requestId}');
      const sent = await call('POST', '/devices/api-meter-00004/operations', { operation: { kind: 'read', path: '/3/0/3' } });
      expect(await call('GET', `/requests/${String(sent.body['requestId'])}`)).toMatchObject({ status: 200, body: { requestId: sent.body['requestId'], endpoint: 'api-meter-00004' } });
      expect(await call('GET', '/requests/no-such-request')).toMatchObject(notFound);
    });

    it('cancels a pending device request, 409 for one that ended, 404 for an unknown one', async () => {
      route('DELETE', '/requests/{requestId}');
      const now = Date.now();
      // Owned by a task that does not exist, so nothing sends it before the cancel.
      await stack.stores.requests.create({ requestId: 'api-pending-1', endpoint: 'api-meter-00004', operation: { kind: 'read', path: '/3/0/3' }, status: 'PENDING', ownerTask: 'no-such-task', createdAt: now, expiresAt: now + 60_000 });
      const done = await call('POST', '/devices/api-meter-00004/operations', { operation: { kind: 'read', path: '/3/0/3' } });

      expect(await call('DELETE', '/requests/api-pending-1')).toMatchObject({ status: 200, body: { requestId: 'api-pending-1', status: 'CANCELLED' } });
      expect(await call('DELETE', `/requests/${String(done.body['requestId'])}`)).toMatchObject(conflict);
      expect(await call('DELETE', '/requests/no-such-request')).toMatchObject(notFound);
    });

    it('lists telemetry, 400 for a bad limit, 404 for an endpoint never seen', async () => {
      route('GET', '/devices/{endpoint}/telemetry');
      expect(await call('GET', '/devices/api-meter-00004/telemetry?limit=5')).toMatchObject({ status: 200, body: { items: expect.any(Array) } });
      expect(await call('GET', '/devices/api-meter-00004/telemetry?limit=0')).toMatchObject(badRequest('limit'));
      expect(await call('GET', '/devices/nobody/telemetry')).toMatchObject(notFound);
    });
  });

  describe('groups, attributes and the fleet inventory', () => {
    it('tags devices with groups and attributes in bulk, shown on each device', async () => {
      route('POST', '/devices/tags');
      const tagged = await call('POST', '/devices/tags', { endpoints: ['api-meter-00000', 'api-meter-00001'], groups: ['north'], attributes: { region: 'eu' } });
      expect(tagged).toMatchObject({ status: 200, body: { items: [{ endpoint: 'api-meter-00000', groups: ['north'], attributes: { region: 'eu' } }, { endpoint: 'api-meter-00001', groups: ['north'] }] } });
      expect(await call('GET', '/devices/api-meter-00000')).toMatchObject({ status: 200, body: { groups: ['north'], attributes: { region: 'eu' } } });
    });

    it('refuses a tag naming an unknown endpoint with 400 naming it, and changes nothing', async () => {
      const refused = await call('POST', '/devices/tags', { endpoints: ['api-meter-00002', 'ghost-meter'], groups: ['south'] });
      expect(refused).toMatchObject(badRequest('endpoints'));
      expect(refused.body.error?.message).toContain('ghost-meter');
      expect((await call('GET', '/devices/api-meter-00002')).body['groups']).toBeUndefined();
      expect(await call('POST', '/devices/tags', { endpoints: ['api-meter-00002'] })).toMatchObject(badRequest('groups'));
      expect(await call('POST', '/devices/tags', { endpoints: ['api-meter-00002'], groups: ['no spaces'] })).toMatchObject(badRequest('groups.0'));
      expect(await call('POST', '/devices/tags', { endpoints: [], groups: ['south'] })).toMatchObject(badRequest('endpoints'));
    });

    it('keeps the tags when the device registers again', async () => {
      const current = await stack.stores.registrations.get('api-meter-00000');
      if (current === undefined) throw new Error('api-meter-00000 is not registered');
      // A Register's registration: the device's facts, no tags.
      const registration = Object.fromEntries(Object.entries(current).filter(([key]) => key !== 'groups' && key !== 'attributes')) as typeof current;
      await stack.stores.registrations.put({ ...registration, lastSeen: Date.now() });
      expect(await stack.stores.registrations.get('api-meter-00000')).toMatchObject({ groups: ['north'], attributes: { region: 'eu' } });
    });

    it('untags devices: groups and attributes by name', async () => {
      route('POST', '/devices/untag');
      expect(await call('POST', '/devices/untag', { endpoints: ['api-meter-00001'], groups: ['north'], attributes: ['region'] })).toMatchObject({ status: 200, body: { items: [{ endpoint: 'api-meter-00001', groups: [], attributes: {} }] } });
      expect(await call('POST', '/devices/untag', { endpoints: ['api-meter-00001'] })).toMatchObject(badRequest('groups'));
      expect(await call('POST', '/devices/untag', { endpoints: ['ghost-meter'], groups: ['north'] })).toMatchObject(badRequest('endpoints'));
    });

    it('lists groups with their device counts and shows a group, 404 for a group no device is in', async () => {
      route('GET', '/groups');
      route('GET', '/groups/{group}');
      expect(await call('GET', '/groups')).toMatchObject({ status: 200, body: { items: [{ group: 'north', devices: 1, online: 1 }] } });
      expect(await call('GET', '/groups/north')).toMatchObject({ status: 200, body: { group: 'north', devices: [{ endpoint: 'api-meter-00000', model: 'API-1', attributes: { region: 'eu' }, online: true }] } });
      expect(await call('GET', '/groups/nobody-here')).toMatchObject(notFound);
    });

    it('targets a campaign by group and by attribute; a dry run names unknown endpoints and empty groups', async () => {
      const plan = async (target: Record<string, unknown>) => (await call('POST', '/campaigns/dry-run', { name: 'by tag', imageId: image.imageId, target })).body;
      await call('POST', '/devices/tags', { endpoints: ['api-meter-00003'], attributes: { region: 'eu' } });
      expect(await plan({ groups: ['north'] })).toMatchObject({ targeted: 1, skipped: { alreadyCurrent: ['api-meter-00000'] } });
      expect(await plan({ attributes: { region: 'eu' } })).toMatchObject({ targeted: 2, eligible: 1, cohorts: [{ endpoints: ['api-meter-00003'] }] });
      expect(await plan({ attributes: { region: 'us' } })).toMatchObject({ targeted: 0, problems: [{ field: 'target' }] });
      expect(await plan({ endpoints: ['api-meter-00004', 'ghost-meter'], groups: ['north', 'empty-group'] })).toMatchObject({ unmatched: { unknownEndpoints: ['ghost-meter'], emptyGroups: ['empty-group'] } });
    });

    it('a dry run counts the wait for a closed download window in its duration, not only in a note', async () => {
      const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
      const opens = Date.now() + 2 * 3_600_000;
      const downloadWindow = { start: hhmm(opens), end: hhmm(opens + 3_600_000), defaultTimeZone: 'UTC' };
      const planned = (await call('POST', '/campaigns/dry-run', { name: 'tonight', imageId: image.imageId, target: { endpoints: ['api-meter-00003'] }, downloadWindow, pollSeconds: 30 })).body as { eligible: number; estimate: { minimumSeconds: number; notes: string[] } };
      expect(planned.eligible).toBe(1);
      // Opens in two hours (to the minute): at best that, plus the two phases' first polls.
      expect(planned.estimate.minimumSeconds).toBeGreaterThan(2 * 3600 - 60);
      expect(planned.estimate.minimumSeconds).toBeLessThanOrEqual(2 * 3600 + 60);
      expect(planned.estimate.notes.join('; ')).toMatch(/the first downloads wait \d+ s for the start time and the download window/);
    });

    it('counts the fleet by model and version, and finds offline devices and devices whose last update failed', async () => {
      route('GET', '/fleet/versions');
      route('GET', '/fleet/attention');
      const now = Date.now();
      await stack.stores.registrations.put({ endpoint: 'api-gone', registrationId: 'api-gone-1', address: '127.0.0.1', port: 9, lifetimeSeconds: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false, objectLinks: [], supportedFormats: [], ownerTask: 'nobody', registeredAt: now - 3_600_000, lastSeen: now - 3_600_000, model: 'GONE-1', firmwareVersion: '0.1.0' });
      await stack.stores.jobs.createJobs([{ campaignId: 'api-failed-campaign', jobKey: jobKeyFor(0, 'api-meter-00004'), endpoint: 'api-meter-00004', cohort: 0, status: 'FAILED', version: 1, attempt: 0, imageId: image.imageId, targetVersion: '1.1.0', downloadToken: 'api-failed-token', reason: 'UPDATE_FAILED', createdAt: now, updatedAt: now, history: [] }]);

      expect(await call('GET', '/fleet/versions')).toEqual({
        status: 200,
        body: { items: [{ model: 'API-1', version: '1.0.0', devices: 3, online: 3 }, { model: 'API-1', version: '1.1.0', devices: 2, online: 2 }, { model: 'GONE-1', version: '0.1.0', devices: 1, online: 0 }] },
      });
      expect(await call('GET', '/fleet/attention')).toMatchObject({
        status: 200,
        body: { offline: [{ endpoint: 'api-gone', model: 'GONE-1', version: '0.1.0' }], failedLastUpdate: [{ endpoint: 'api-meter-00004', campaignId: 'api-failed-campaign', reason: 'UPDATE_FAILED' }] },
      });
    });

    it("shows a device's firmware history: versions over time and the campaigns that targeted it, 404 for an unknown device", async () => {
      route('GET', '/devices/{endpoint}/history');
      expect(await call('GET', '/devices/api-meter-00000/history')).toMatchObject({
        status: 200,
        body: { endpoint: 'api-meter-00000', currentVersion: '1.1.0', versions: [{ version: '1.1.0', campaignId: finishedCampaignId }], updates: [{ campaignId: finishedCampaignId, status: 'SUCCEEDED', targetVersion: '1.1.0' }] },
      });
      expect(await call('GET', '/devices/api-meter-00004/history')).toMatchObject({ status: 200, body: { currentVersion: '1.0.0', versions: [{ version: '1.0.0' }], lastUpdateFailed: { campaignId: 'api-failed-campaign', reason: 'UPDATE_FAILED' } } });
      expect(await call('GET', '/devices/nobody/history')).toMatchObject(notFound);
    });
  });

  describe('limits: bad input is a 400 naming the field, never a 500', () => {
    it('answers 400 naming the path parameter for an id over 512 characters, on every route', async () => {
      const long = 'a'.repeat(2100);
      for (const r of ROUTES.filter((candidate) => candidate.path.includes('{'))) {
        const name = /\{(\w+)\}/.exec(r.path)?.[1] ?? '';
        const answer = await call(r.method, r.path.replace(/\{\w+\}/g, long), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
        expect(answer, `${r.method} ${r.path}`).toMatchObject(badRequest(name));
      }
    });

    it('refuses images with a 500 KB model name or 100,000 models', async () => {
      const content = buildFirmwarePackage('4.0.0', 64).toString('base64');
      expect(await call('POST', '/images', { version: '4.0.0', models: ['m'.repeat(500_000)], contentBase64: content })).toMatchObject(badRequest('models.0'));
      expect(await call('POST', '/images', { version: '4.0.0', models: Array.from({ length: 100_000 }, (_, i) => `M-${i}`), contentBase64: content })).toMatchObject(badRequest('models'));
    });

    it('refuses campaigns with 40,000 endpoints (dry run too), a rate of 1e-9 per minute, polls or versions out of order, a canary as large as the fleet', async () => {
      const base = { name: 'limits', imageId: image.imageId, target: { model: 'API-1' } };
      const endpoints = Array.from({ length: 40_000 }, (_, i) => `meter-${i}`);
      for (const path of ['/campaigns', '/campaigns/dry-run']) {
        expect(await call('POST', path, { ...base, target: { endpoints } }), path).toMatchObject(badRequest('target.endpoints'));
        expect(await call('POST', path, { ...base, rate: { devicesPerMinute: 1e-9 } }), path).toMatchObject(badRequest('rate.devicesPerMinute'));
        expect(await call('POST', path, { ...base, rate: { devicesPerMinute: 10, rampFactor: 2, maxDevicesPerMinute: 5 } }), path).toMatchObject(badRequest('rate.maxDevicesPerMinute'));
        expect(await call('POST', path, { ...base, pollSeconds: 30, maxPollSeconds: 10 }), path).toMatchObject(badRequest('maxPollSeconds'));
        expect(await call('POST', path, { ...base, target: { firmwareVersions: { min: '2.0.0', max: '1.0.0' } } }), path).toMatchObject(badRequest('target.firmwareVersions.min'));
      }
      // Three API-1 devices are not on 1.1.0 yet: a canary of 3 would be the whole rollout.
      expect(await call('POST', '/campaigns', { ...base, cohorts: [{ count: 3 }, { percent: 100 }] })).toMatchObject(badRequest('cohorts.0.count'));
      expect((await call('POST', '/campaigns/dry-run', { ...base, cohorts: [{ count: 3 }, { percent: 100 }] })).body).toMatchObject({ problems: [{ field: 'cohorts.0.count' }] });
    });

    it('refuses a cursor of one list given to another, naming the cursor', async () => {
      const devices = await call('GET', '/devices?limit=1');
      expect(devices.body.nextCursor).toBeDefined();
      expect(await call('GET', `/campaigns?cursor=${devices.body.nextCursor}`)).toMatchObject(badRequest('cursor'));
    });
  });

  describe('credentials', () => {
    const key = 'a1'.repeat(16);

    it('provisions a DTLS-PSK credential, never returning the key; 400 naming the field, 409 for an identity of another device', async () => {
      route('PUT', '/devices/{endpoint}/credentials');
      const put = await call('PUT', '/devices/api-meter-00000/credentials', { identity: 'psk-api-0', keyHex: key });
      expect(put).toMatchObject({ status: 201, body: { identity: 'psk-api-0', endpoint: 'api-meter-00000' } });
      expect(JSON.stringify(put.body)).not.toContain(key);
      expect(await call('PUT', '/devices/api-meter-00000/credentials', { identity: 'psk-api-0', keyHex: 'abc' })).toMatchObject(badRequest('keyHex'));
      expect(await call('PUT', '/devices/api-meter-00001/credentials', { identity: 'psk-api-0', keyHex: key })).toMatchObject({ status: 409, body: { error: { field: 'identity' } } });
      expect((await call('POST', '/devices/api-meter-00000/credentials', { identity: 'psk-api-0', keyHex: key })).status).toBe(405);
    });

    it("refuses an identity in the store's reserved prefix with 400 naming the identity", async () => {
      expect(await call('PUT', '/devices/api-meter-00002/credentials', { identity: '!fota/revocations', keyHex: key })).toMatchObject(badRequest('identity'));
      expect(await call('GET', '/credentials/!fota%2Frevocations')).toMatchObject(notFound);
    });

    it('shows which device an identity belongs to, 404 for an unknown identity', async () => {
      route('GET', '/credentials/{identity}');
      const shown = await call('GET', '/credentials/psk-api-0');
      expect(shown).toMatchObject({ status: 200, body: { identity: 'psk-api-0', endpoint: 'api-meter-00000' } });
      expect(JSON.stringify(shown.body)).not.toContain(key);
      expect(await call('GET', '/credentials/nobody')).toMatchObject(notFound);
    });

    it('revokes an identity, then 404 for it', async () => {
      route('DELETE', '/credentials/{identity}');
      expect(await call('DELETE', '/credentials/psk-api-0')).toMatchObject({ status: 200, body: { identity: 'psk-api-0', revoked: true } });
      expect(await call('DELETE', '/credentials/psk-api-0')).toMatchObject(notFound);
    });

    it('keeps the provisioning and the revocation in the audit trail, 400 naming the subject when it is not credential:/image: (more in audit.test.ts)', async () => {
      route('GET', '/audit');
      const audit = await call('GET', '/audit?subject=credential:psk-api-0');
      expect(audit.status).toBe(200);
      expect((audit.body as unknown as { items: { action: string }[] }).items.map((r) => r.action)).toEqual(['credential.provision', 'credential.revoke']);
      expect(await call('GET', '/audit?subject=device:api-meter-00000')).toMatchObject(badRequest('subject'));
    });
  });

  describe('images', () => {
    it('lists images one page at a time', async () => {
      route('GET', '/images');
      const { status, body } = await call('GET', '/images?limit=1');
      expect(status).toBe(200);
      expect(body.items).toHaveLength(1);
      expect(await call('GET', '/images?limit=-1')).toMatchObject(badRequest('limit'));
    });

    it('shows one image, 404 for an unknown id', async () => {
      route('GET', '/images/{imageId}');
      expect(await call('GET', `/images/${image.imageId}`)).toMatchObject({ status: 200, body: { imageId: image.imageId, version: '1.1.0', verified: true } });
      expect(await call('GET', '/images/no-such-image')).toMatchObject(notFound);
    });

    it('creates an image inline, 400 naming the field for bad metadata', async () => {
      route('POST', '/images');
      const created = await call('POST', '/images', { version: '2.0.0', models: ['API-1'], contentBase64: buildFirmwarePackage('2.0.0', 64).toString('base64') });
      expect(created).toMatchObject({ status: 201, body: { version: '2.0.0', verified: true } });
      expect(await call('POST', '/images', { version: '', models: ['API-1'], contentBase64: 'AAAA' })).toMatchObject(badRequest('version'));
      expect(await call('POST', '/images', { version: '2.0.1', models: [], sizeBytes: 10 })).toMatchObject(badRequest('models'));
      expect((await call('POST', '/images')).status).toBe(400);
    });

    it('completes an upload (again: the same image), 409 before any byte was uploaded, 404 for an unknown image, 400 for bad parts', async () => {
      route('POST', '/images/{imageId}/complete');
      expect(await call('POST', `/images/${image.imageId}/complete`)).toMatchObject({ status: 200, body: { imageId: image.imageId, verified: true } });
      const presigned = await call('POST', '/images', { version: '3.0.0', models: ['API-1'], sizeBytes: 100 });
      expect(presigned.status).toBe(201);
      const pendingId = String((presigned.body['image'] as { imageId: string }).imageId);
      expect(await call('POST', `/images/${pendingId}/complete`, {})).toMatchObject({ status: 409, body: { error: { code: 'UPLOAD_STATE' } } });
      expect(await call('POST', '/images/no-such-image/complete', {})).toMatchObject(notFound);
      expect(await call('POST', `/images/${image.imageId}/complete`, { parts: [{ partNumber: 0, etag: 'x' }] })).toMatchObject(badRequest('parts.0.partNumber'));
    });

    it('deletes an unused image, then 404 for it', async () => {
      route('DELETE', '/images/{imageId}');
      const spare = await stack.stores.images.store({ version: '0.9.0', models: ['API-1'] }, buildFirmwarePackage('0.9.0', 64));
      expect(await call('DELETE', `/images/${spare.imageId}`)).toMatchObject({ status: 200, body: { imageId: spare.imageId, deleted: true } });
      expect(await call('DELETE', `/images/${spare.imageId}`)).toMatchObject(notFound);
    });
  });

  describe('campaigns', () => {
    it('lists campaigns one page at a time', async () => {
      route('GET', '/campaigns');
      const { status, body } = await call('GET', '/campaigns?limit=1000');
      expect(status).toBe(200);
      expect(body.items?.map((c) => c['campaignId'])).toContain(finishedCampaignId);
      expect(await call('GET', '/campaigns?limit=1001')).toMatchObject(badRequest('limit'));
    });

    it('shows a campaign with its progress, 404 for an unknown id', async () => {
      route('GET', '/campaigns/{campaignId}');
      expect(await call('GET', `/campaigns/${finishedCampaignId}`)).toMatchObject({ status: 200, body: { status: 'SUCCEEDED', progress: { total: 2, succeeded: 2 }, cohortProgress: [{ cohort: 0, total: 2 }] } });
      expect(await call('GET', '/campaigns/no-such-campaign')).toMatchObject(notFound);
    });

    it("lists a campaign's jobs one page at a time, 404 for an unknown campaign", async () => {
      route('GET', '/campaigns/{campaignId}/jobs');
      const first = await call('GET', `/campaigns/${finishedCampaignId}/jobs?limit=1`);
      expect(first.body.items?.map((j) => j['endpoint'])).toEqual(['api-meter-00000']);
      const second = await call('GET', `/campaigns/${finishedCampaignId}/jobs?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.items?.map((j) => j['endpoint'])).toEqual(['api-meter-00001']);
      expect(second.body.nextCursor).toBeUndefined();
      expect(await call('GET', `/campaigns/${finishedCampaignId}/jobs?limit=x`)).toMatchObject(badRequest('limit'));
      expect(await call('GET', '/campaigns/no-such-campaign/jobs')).toMatchObject(notFound);
    });

    it("lists a campaign's jobs without their download tokens: those are the devices' alone", async () => {
      const { body } = await call('GET', `/campaigns/${finishedCampaignId}/jobs`);
      const stored = await stack.stores.jobs.listCampaign(finishedCampaignId);

      expect(stored.every((job) => packageTokenOf(job).length > 0)).toBe(true);
      expect(body.items).toHaveLength(2);
      for (const job of body.items ?? []) expect(job).not.toHaveProperty('downloadToken');
      for (const job of body.items ?? []) expect(job).not.toHaveProperty('packageSecret');
      for (const job of stored) expect(JSON.stringify(body)).not.toContain(job.packageSecret ?? job.downloadToken);
    });

    it('plans a dry run without creating anything, 400 naming the field for a bad definition', async () => {
      route('POST', '/campaigns/dry-run');
      const before = (await stack.stores.campaigns.list()).length;
      const plan = await call('POST', '/campaigns/dry-run', { name: 'plan', imageId: image.imageId, target: { model: 'API-1' }, cohorts: [{ count: 1 }, { percent: 100 }], rate: { devicesPerMinute: 2 } });
      // Two devices took 1.1.0 in the campaign of beforeAll: skipped, not planned.
      expect(plan).toMatchObject({
        status: 200,
        body: { targeted: 5, eligible: 3, targetVersion: '1.1.0', skipped: { alreadyCurrent: ['api-meter-00000', 'api-meter-00001'], incompatible: [] }, cohorts: [{ cohort: 0, size: 1 }, { cohort: 1, size: 2, releaseSeconds: 30 }] },
      });
      const cohorts = plan.body['cohorts'] as { endpoints: string[] }[];
      expect(cohorts.flatMap((c) => c.endpoints).sort()).toEqual(['api-meter-00002', 'api-meter-00003', 'api-meter-00004']);
      // At best each cohort takes its release time and one poll (30 s by default) per phase; at worst
      // its download (3600 s) and install (1800 s) timeouts.
      expect(plan.body['estimate']).toMatchObject({ minimumSeconds: 2 * 30 + (30 + 2 * 30), maximumSeconds: 5400 + (30 + 5400) });
      expect((await stack.stores.campaigns.list()).length).toBe(before);
      expect(await call('POST', '/campaigns/dry-run', { name: 'plan', target: {} })).toMatchObject(badRequest('imageId'));
      expect(await call('POST', '/campaigns/dry-run', { name: 'plan', imageId: 'no-such-image', target: {} })).toMatchObject(badRequest('imageId'));
      expect(await call('POST', '/campaigns/dry-run', { name: 'plan', imageId: image.imageId, target: {}, cohortPercentages: [50, 10] })).toMatchObject(badRequest('cohortPercentages'));
    });

    it('creates a campaign, 400 naming the field for a bad definition or body', async () => {
      route('POST', '/campaigns');
      expect(await call('POST', '/campaigns', { name: 'x', imageId: image.imageId, target: { model: 'API-1' }, pollSeconds: 0 })).toMatchObject(badRequest('pollSeconds'));
      expect(await call('POST', '/campaigns', { name: 'x', imageId: image.imageId })).toMatchObject(badRequest('target'));
      expect(await call('POST', '/campaigns', { name: 'x', imageId: image.imageId, target: { colour: 'red' } })).toMatchObject(badRequest('target'));
      expect((await call('POST', '/campaigns', 'not json')).status).toBe(400);
      expect((await call('POST', '/campaigns')).status).toBe(400);
    });

    it('refuses a retry or abort.byReason key that is no failure reason with 400 naming the field and the key', async () => {
      const definition = { name: 'typo', imageId: image.imageId, target: { model: 'API-1' } };
      const retry = await call('POST', '/campaigns', { ...definition, retry: { DEVICE_TIMOUT: { maxAttempts: 2, backoffSeconds: 1 } } });
      expect(retry).toMatchObject(badRequest('retry'));
      expect(retry.body.error?.message).toContain('DEVICE_TIMOUT');
      const byReason = await call('POST', '/campaigns/dry-run', { ...definition, abort: { failurePercent: 5, byReason: { UPDATE_FAIL: 1 } } });
      expect(byReason).toMatchObject(badRequest('abort.byReason'));
      expect(byReason.body.error?.message).toContain('UPDATE_FAIL');
      const spelt = await call('POST', '/campaigns/dry-run', { ...definition, retry: { DEVICE_TIMEOUT: { maxAttempts: 2, backoffSeconds: 1 } }, abort: { failurePercent: 5, byReason: { UPDATE_FAILED: 1 } } });
      expect(spelt.status).toBe(200);
    });

    it('pauses and cancels a running campaign; refuses resume and approve on it once cancelled with 409', async () => {
      for (const action of ['pause', 'resume', 'cancel', 'approve']) route('POST', `/campaigns/{campaignId}/${action}`);
      const created = await call('POST', '/campaigns', { name: 'to cancel', imageId: image.imageId, target: { endpoints: ['api-meter-00002', 'api-meter-00003'] }, rate: { devicesPerMinute: 1 }, pollSeconds: 1 });
      expect(created.status).toBe(201);
      const id = String(created.body['campaignId']);
      expect(await call('POST', `/campaigns/${id}/pause`)).toMatchObject({ status: 200, body: { campaignId: id, status: 'PAUSED' } });
      expect(await statusOf(id)).toBe('PAUSED');
      expect(await call('POST', `/campaigns/${id}/approve`)).toMatchObject(conflict);
      expect(await call('POST', `/campaigns/${id}/cancel`)).toMatchObject({ status: 200, body: { status: 'CANCELLING' } });
      await stack.stepFunctions.executions.get(String(created.body['executionId']))?.done;
      expect(await statusOf(id)).toBe('CANCELLED');
      for (const action of ['pause', 'resume', 'cancel', 'approve']) expect(await call('POST', `/campaigns/${id}/${action}`), action).toMatchObject(conflict);
    });

    it('answers 404 to an action on an unknown campaign', async () => {
      for (const action of ['pause', 'resume', 'cancel', 'approve']) expect(await call('POST', `/campaigns/no-such-campaign/${action}`), action).toMatchObject(notFound);
    });
  });

  describe('relaunch, rollback and the caller', () => {
    const asCaller = async (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> => {
      const response = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: response.status, body: (await response.json()) as Answer['body'] };
    };

    it('refuses a relaunch of a campaign with nothing left undone (409), of an unknown one (404), and a bad body naming the field (400)', async () => {
      route('POST', '/campaigns/{campaignId}/relaunch');
      expect(await call('POST', `/campaigns/${finishedCampaignId}/relaunch`)).toMatchObject({ status: 409, body: { error: { code: 'NOTHING_TO_RELAUNCH' } } });
      expect(await call('POST', `/campaigns/${finishedCampaignId}/relaunch`, { failedOnly: true })).toMatchObject({ status: 409, body: { error: { code: 'NOTHING_TO_RELAUNCH' } } });
      expect(await call('POST', '/campaigns/no-such-campaign/relaunch')).toMatchObject(notFound);
      expect(await call('POST', `/campaigns/${finishedCampaignId}/relaunch`, { failedOnly: 'yes' })).toMatchObject(badRequest('failedOnly'));
    });

    it('answers a rollback dry run with its plan (devices whose previous image is not stored named), creates nothing, and refuses to roll back nothing (409)', async () => {
      route('POST', '/campaigns/{campaignId}/rollback');
      const before = (await stack.stores.campaigns.list()).length;
      const plan = await call('POST', `/campaigns/${finishedCampaignId}/rollback`, { dryRun: true });
      expect(plan).toMatchObject({ status: 200, body: { dryRun: true, groups: [], campaigns: [] } });
      expect(plan.body['excluded']).toEqual([
        { endpoint: 'api-meter-00000', previousVersion: '1.0.0', reason: 'NO_IMAGE_FOR_PREVIOUS_VERSION' },
        { endpoint: 'api-meter-00001', previousVersion: '1.0.0', reason: 'NO_IMAGE_FOR_PREVIOUS_VERSION' },
      ]);
      expect(await call('POST', `/campaigns/${finishedCampaignId}/rollback`)).toMatchObject({ status: 409, body: { error: { code: 'NOTHING_TO_ROLL_BACK' } } });
      expect((await stack.stores.campaigns.list()).length).toBe(before);
      expect(await call('POST', `/campaigns/${finishedCampaignId}/rollback`, { dryRun: 1 })).toMatchObject(badRequest('dryRun'));
    });

    it('tells the caller who it is and which campaign actions its roles allow', async () => {
      route('GET', '/whoami');
      expect(await asCaller('GET', '/whoami', { 'x-fota-actor': 'olga', 'x-fota-role': 'operator' })).toEqual({ status: 200, body: { actor: 'olga', roles: ['operator'], actions: ['pause', 'resume', 'cancel'] } });
      expect(await asCaller('GET', '/whoami', { 'x-fota-role': 'viewer' })).toMatchObject({ status: 200, body: { roles: ['viewer'], actions: [] } });
      expect((await call('GET', '/whoami')).body['actions']).toEqual(['pause', 'resume', 'cancel', 'approve']);
    });

    it("refuses locally what the caller's role does not allow (403), and an unknown role naming the header (400)", async () => {
      expect(await asCaller('POST', `/campaigns/${finishedCampaignId}/pause`, { 'x-fota-role': 'viewer' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect(await asCaller('POST', `/campaigns/${finishedCampaignId}/approve`, { 'x-fota-role': 'operator' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect(await asCaller('GET', '/campaigns', { 'x-fota-role': 'admin' })).toMatchObject({ status: 400, body: { error: { field: 'X-Fota-Role' } } });
    });
  });

  describe('OpenAPI document', () => {
    it('is served at GET /openapi.json as OpenAPI 3.1 with every route and the error schema', async () => {
      route('GET', '/openapi.json');
      const { status, body } = await call('GET', '/openapi.json');
      expect(status).toBe(200);
      expect(body['openapi']).toBe('3.1.0');
      const paths = body['paths'] as Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: unknown; responses: Record<string, unknown> }>>;
      for (const r of ROUTES) {
        const operation = paths[r.path]?.[r.method.toLowerCase()];
        expect(operation, `${r.method} ${r.path}`).toBeDefined();
        const pathParameters = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(operation?.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? [], `${r.method} ${r.path}`).toEqual(pathParameters);
        expect(operation?.requestBody !== undefined, `${r.method} ${r.path} body`).toBe(r.body !== undefined);
        expect(operation?.responses['default']).toEqual({ description: expect.any(String), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
      }
      expect((body['components'] as { schemas: Record<string, unknown> }).schemas['Error']).toMatchObject({ required: ['error'], properties: { error: { required: ['code', 'message'] } } });
    });

    it('describes the campaign body as requiring name, imageId and target, and pages on list routes', async () => {
      const { body } = await call('GET', '/openapi.json');
      const paths = body['paths'] as Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: { content: { 'application/json': { schema: { required?: string[]; properties?: Record<string, unknown> } } } } }>>;
      const campaignBody = paths['/campaigns']?.['post']?.requestBody?.content['application/json'].schema;
      expect(campaignBody?.required).toEqual(['name', 'imageId', 'target']);
      expect(Object.keys(campaignBody?.properties ?? {})).toEqual(expect.arrayContaining(['cohorts', 'rate', 'downloadWindow', 'retry']));
      expect(campaignBody?.properties?.['retry']).toMatchObject({ propertyNames: { enum: expect.arrayContaining(['DEVICE_TIMEOUT', 'INTEGRITY_CHECK_FAILURE', 'INSTALL_TIMEOUT']) } });
      for (const path of ['/devices', '/images', '/campaigns', '/campaigns/{campaignId}/jobs']) {
        expect(paths[path]?.['get']?.parameters?.map((p) => p.name), path).toEqual(expect.arrayContaining(['limit', 'cursor']));
      }
      expect(paths['/devices']?.['get']?.parameters?.map((p) => p.name)).toContain('online');
      expect(paths['/devices/{endpoint}/telemetry']?.['get']?.parameters?.map((p) => p.name)).toEqual(['endpoint', 'limit']);
    });
  });

  it('exercised every route of the table (add a case here for a new route)', () => {
    const missing = ROUTES.map((r) => `${r.method} ${r.path}`).filter((key) => !exercised.has(key));
    expect(missing).toEqual([]);
  });
});
