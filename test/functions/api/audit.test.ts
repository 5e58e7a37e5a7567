/** The audit trail of credential and image operations, through the HTTP API of the local stack (dynalite, s3rver). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../../sim/firmwarePackage.ts';

interface AuditView {
  readonly subject: string;
  readonly items: readonly { readonly subject: string; readonly action: string; readonly actor: string; readonly at: number; readonly detail?: Record<string, string> }[];
}

describe('audit records of credential and image operations (GET /audit)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 60_000 });
  });

  afterAll(async () => {
    await stack.stop();
  });

  const call = async (method: string, path: string, actor: string, body?: unknown): Promise<Response> =>
    fetch(`${stack.apiUrl}${path}`, { method, headers: { 'x-fota-actor': actor, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  const auditOf = async (subject: string): Promise<AuditView> => {
    const response = await fetch(`${stack.apiUrl}/audit?subject=${encodeURIComponent(subject)}`);
    expect(response.status).toBe(200);
    return (await response.json()) as AuditView;
  };

  it('records who provisioned and who revoked a credential, and when, oldest first, without the key', async () => {
    const before = Date.now();
    const keyHex = '00112233445566778899aabbccddeeff';
    expect((await call('PUT', '/devices/audit-meter-1/credentials', 'alice@example.com', { identity: 'audit-id-1', keyHex })).status).toBe(201);
    expect((await call('DELETE', '/credentials/audit-id-1', 'bob@example.com')).status).toBe(200);

    const audit = await auditOf('credential:audit-id-1');

    expect(audit.items.map((r) => [r.action, r.actor, r.detail])).toEqual([
      ['credential.provision', 'alice@example.com', { endpoint: 'audit-meter-1' }],
      ['credential.revoke', 'bob@example.com', undefined],
    ]);
    for (const record of audit.items) expect(record.at).toBeGreaterThanOrEqual(before);
    expect(JSON.stringify(audit)).not.toContain(keyHex);
  });

  it('records who uploaded and who deleted an image', async () => {
    const created = await call('POST', '/images', 'carol@example.com', { version: '9.9.9', models: ['AUDIT-1'], contentBase64: buildFirmwarePackage('9.9.9', 64).toString('base64') });
    expect(created.status).toBe(201);
    const { imageId } = (await created.json()) as { imageId: string };
    expect((await call('DELETE', `/images/${imageId}`, 'dave@example.com')).status).toBe(200);

    const audit = await auditOf(`image:${imageId}`);

    expect(audit.items.map((r) => [r.action, r.actor])).toEqual([
      ['image.upload', 'carol@example.com'],
      ['image.delete', 'dave@example.com'],
    ]);
  });

  it('leaves no record of a refused operation', async () => {
    expect((await call('DELETE', '/credentials/audit-never-provisioned', 'mallory@example.com')).status).toBe(404);

    expect((await auditOf('credential:audit-never-provisioned')).items).toEqual([]);
  });

  it('answers 400 naming the subject field when it is missing or not credential:/image:', async () => {
    for (const query of ['', '?subject=campaign:c-1']) {
      const response = await fetch(`${stack.apiUrl}/audit${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { field?: string } }).error.field, query).toBe('subject');
    }
  });
});
