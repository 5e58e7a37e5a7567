import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../../local/LocalStack.ts';
import { buildFirmwarePackage } from '../../../sim/firmwarePackage.ts';
import { CAMPAIGN_TRANSITIONS, type CampaignAction } from '../../../core/campaign/lifecycle.ts';
import type { AuditEntry, CampaignStatus } from '../../../core/campaign/Campaign.ts';
import type { DeviceRegistration } from '../../../core/devices/DeviceRegistration.ts';

interface Answer {
  readonly action: CampaignAction;
  readonly status: number;
  readonly body: { status?: string; error?: { code: string; message: string } };
}

/**
 * Operator actions over real HTTP against the local stack and its workflow: the status changes
 * when an action is accepted, cancel is final, and under a burst of concurrent actions the audit
 * trail holds exactly the actions that were answered 200, in order, each starting where the
 * previous one left the campaign.
 */
describe('campaign actions', () => {
  let stack: LocalStack;
  let campaigns = 0;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 60_000 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const act = async (campaignId: string, action: CampaignAction): Promise<Answer> => {
    const response = await fetch(`${stack.apiUrl}/campaigns/${campaignId}/${action}`, { method: 'POST', headers: { 'x-fota-actor': 'alice@example.com' } });
    return { action, status: response.status, body: (await response.json()) as Answer['body'] };
  };
  const stored = async (campaignId: string) => {
    const campaign = await stack.stores.campaigns.get(campaignId);
    if (campaign === undefined) throw new Error(`campaign ${campaignId} not stored`);
    return campaign;
  };
  /** A campaign whose workflow runs, at one device a minute: RUNNING for the length of a test. */
  const running = async (): Promise<{ campaignId: string; done: Promise<unknown> | undefined }> => {
    // Devices of its own: another campaign's devices stay claimed by it until it is finished (DEVICE_BUSY).
    const model = `ACT-${++campaigns}`;
    const now = Date.now();
    // Registered, never online: their jobs are released and then wait, so the campaign stays running.
    for (let i = 0; i < 4; i++) {
      const registration: DeviceRegistration = {
        endpoint: `act-meter-${campaigns}-${i}`, registrationId: `act${campaigns}x${i}`, address: '127.0.0.1', port: 41_000 + i, lifetimeSeconds: 3600, lwm2mVersion: '1.1', binding: 'U',
        queueMode: false, objectLinks: ['/3/0', '/5/0'], supportedFormats: [], ownerTask: 'no-such-task', registeredAt: now, lastSeen: now, model, firmwareVersion: '1.0.0',
      };
      await stack.stores.registrations.put(registration);
    }
    const imageId = (await stack.stores.images.store({ version: '1.1.0', models: [model] }, buildFirmwarePackage('1.1.0', 256))).imageId;
    const response = await fetch(`${stack.apiUrl}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `actions ${campaigns}`, imageId, target: { model }, rate: { devicesPerMinute: 1 }, pollSeconds: 1 }),
    });
    const created = (await response.json()) as { campaignId: string; executionId: string };
    await expect.poll(async () => (await stored(created.campaignId)).status, { timeout: 15_000 }).toBe('RUNNING');
    return { campaignId: created.campaignId, done: stack.stepFunctions.executions.get(created.executionId)?.done };
  };

  it('answers a pause with the campaign PAUSED at once, and a resume with it RUNNING at once', async () => {
    const { campaignId } = await running();
    expect(await act(campaignId, 'pause')).toMatchObject({ status: 200, body: { status: 'PAUSED' } });
    expect((await stored(campaignId)).status).toBe('PAUSED');
    expect(await act(campaignId, 'resume')).toMatchObject({ status: 200, body: { status: 'RUNNING' } });
    expect((await stored(campaignId)).status).toBe('RUNNING');
    await act(campaignId, 'cancel');
  });

  it('refuses an action in the words of the status it saw: resume of a running campaign, pause of a paused one', async () => {
    const { campaignId } = await running();
    expect(await act(campaignId, 'resume')).toMatchObject({ status: 409, body: { error: { code: 'ILLEGAL_ACTION', message: expect.stringContaining('cannot resume a campaign that is RUNNING') } } });
    await act(campaignId, 'pause');
    expect(await act(campaignId, 'pause')).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining('that is PAUSED: it is already paused') } } });
    await act(campaignId, 'cancel');
  });

  it('leaves a campaign cancelling, then cancelled, after cancel, pause and resume', async () => {
    const { campaignId, done } = await running();
    expect(await act(campaignId, 'cancel')).toMatchObject({ status: 200, body: { status: 'CANCELLING' } });
    expect(await act(campaignId, 'pause')).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining('cancel is final') } } });
    expect(await act(campaignId, 'resume')).toMatchObject({ status: 409, body: { error: { code: 'ILLEGAL_ACTION' } } });
    expect(['CANCELLING', 'CANCELLED']).toContain((await stored(campaignId)).status);
    await done;
    expect((await stored(campaignId)).status).toBe('CANCELLED');
    expect((await stored(campaignId)).audit?.map((a) => a.action)).toEqual(['cancel']);
  });

  it('keeps under a burst of 50 concurrent actions an audit trail of exactly the 200 answers, in order, each from where the last left', async () => {
    const { campaignId, done } = await running();
    const mix: readonly CampaignAction[] = ['pause', 'resume', 'pause', 'resume', 'approve', 'pause', 'resume', 'cancel', 'resume', 'pause'];
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => act(campaignId, mix[i % mix.length] ?? 'pause')));

    expect(answers.filter((a) => a.status !== 200 && a.status !== 409)).toEqual([]);
    const accepted = answers.filter((a) => a.status === 200);
    const audit: readonly AuditEntry[] = (await stored(campaignId)).audit ?? [];
    expect(audit).toHaveLength(accepted.length);
    expect(audit.map((a) => a.action).sort()).toEqual(accepted.map((a) => a.action).sort());
    expect(audit[0]?.previous).toBe('RUNNING');
    audit.forEach((entry, i) => {
      if (i === 0) return;
      expect(entry.previous, `entry ${i}`).toBe(audit[i - 1]?.status);
      expect(entry.at, `entry ${i}`).toBeGreaterThanOrEqual(audit[i - 1]?.at ?? 0);
    });
    // Exactly one cancel was applied, and it was the last thing applied.
    expect(audit.filter((a) => a.action === 'cancel')).toHaveLength(1);
    expect(audit.at(-1)?.action).toBe('cancel');
    // Every refusal names a status from which its action is indeed not allowed.
    for (const refused of answers.filter((a) => a.status === 409 && a.body.error?.code === 'ILLEGAL_ACTION')) {
      const seen = /that is ([A-Z_]+)/.exec(refused.body.error?.message ?? '')?.[1] as CampaignStatus | undefined;
      expect(seen, refused.body.error?.message).toBeDefined();
      if (seen !== undefined) expect(CAMPAIGN_TRANSITIONS[refused.action][seen], refused.body.error?.message).toBeUndefined();
    }
    expect(['CANCELLING', 'CANCELLED']).toContain((await stored(campaignId)).status);
    await done;
    expect((await stored(campaignId)).status).toBe('CANCELLED');
  }, 60_000);
});
