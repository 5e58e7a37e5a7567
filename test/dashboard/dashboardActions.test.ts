import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { eventually } from '../integration/eventually.ts';

/** Debian's chromium (scripts/setup-system.sh installs it); the test never downloads a browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * The dashboard's campaign actions in headless Chromium against the real local stack (issue 16,
 * item 6): a two-person campaign created by alice waits for approval; the page, opened as the
 * local identities `?as=NAME&role=ROLE`, offers each person only what their role allows, shows
 * the API's refusal of alice's own approval, and takes bob's.
 */
describe('campaign actions in the dashboard', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  let campaignId: string;

  const status = async (): Promise<string | undefined> => (await stack.stores.campaigns.get(campaignId))?.status;
  const open = async (actor: string, role: string): Promise<void> => {
    await page.goto(`${stack.apiUrl}/?as=${actor}&role=${role}#campaign=${campaignId}`);
    await expect.poll(() => page.locator('#campaign-name').textContent(), { timeout: 10_000 }).toBe('Two-person rollout');
  };
  const buttons = (): Promise<string[]> => page.locator('#campaign-actions button').allTextContents();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`npm run setup\` (scripts/setup-system.sh installs the Debian package chromium)`);
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    fleet = new Fleet({ size: 4, serverPort: stack.edge.address.port, endpointPrefix: 'act-meter', deviceOptions: () => ({ model: 'ACT-1', firmwareVersion: '1.0.0' }) });
    await fleet.start();
    await eventually(async () => {
      const known = (await stack.stores.registrations.list()).filter((d) => d.model === 'ACT-1').length;
      if (known < 4) throw new Error(`${known} of 4 devices with their facts`);
    }, { timeoutMs: 30_000, what: 'four devices registered with their facts' });
    const image = await stack.stores.images.store({ version: '1.1.0', models: ['ACT-1'] }, buildFirmwarePackage('1.1.0', 1024));
    const response = await fetch(`${stack.apiUrl}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fota-actor': 'alice', 'x-fota-role': 'operator' },
      body: JSON.stringify({ name: 'Two-person rollout', imageId: image.imageId, target: { model: 'ACT-1' }, cohortPercentages: [50, 100], approvalRequired: true, approvers: 2, pollSeconds: 1 }),
    });
    expect(response.status).toBe(201);
    campaignId = ((await response.json()) as { campaignId: string }).campaignId;
    await eventually(async () => {
      if ((await status()) !== 'WAITING_APPROVAL') throw new Error(`status ${String(await status())}`);
    }, { timeoutMs: 60_000, what: 'the first cohort done and the campaign waiting for approval' });

    profile = await mkdtemp(join(tmpdir(), 'fota-chromium-actions-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 } });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    await fleet?.stop();
    await stack?.stop();
  });

  it('offers a viewer no action at all', async () => {
    await open('victor', 'viewer');
    // The campaign is drawn (its header is there) and stays without buttons over several refreshes.
    await expect.poll(() => page.locator('#connection').textContent(), { timeout: 5_000 }).toMatch(/^live/);
    expect(await buttons()).toEqual([]);
  });

  it('offers an operator cancel but not approve at the approval gate', async () => {
    await open('olga', 'operator');
    await expect.poll(buttons, { timeout: 5_000 }).toEqual(['Cancel']);
  });

  it("shows the API's refusal when the campaign's creator approves it", async () => {
    await open('alice', 'approver');
    await expect.poll(buttons, { timeout: 5_000 }).toEqual(['Approve']);
    await page.click('#campaign-actions button[data-action="approve"]');
    await expect.poll(() => page.locator('#action-message').textContent(), { timeout: 5_000 }).toContain('approve refused');
    expect(await page.locator('#action-message').textContent()).toContain('its creator (alice) may not approve it');
    expect(await page.locator('#action-message').getAttribute('class')).toContain('refused');
    expect(await status()).toBe('WAITING_APPROVAL');
  });

  it('takes the approval of another approver, and the campaign moves on', async () => {
    await open('bob', 'approver');
    await expect.poll(buttons, { timeout: 5_000 }).toContain('Approve');
    await page.click('#campaign-actions button[data-action="approve"]');
    await expect.poll(() => page.locator('#action-message').textContent(), { timeout: 5_000 }).toBe('approve: the campaign is now RUNNING');
    await expect.poll(status, { timeout: 60_000 }).toBe('SUCCEEDED');
    const audit = (await stack.stores.campaigns.get(campaignId))?.audit ?? [];
    expect(audit.filter((entry) => entry.action === 'approve').map((entry) => entry.actor)).toEqual(['bob']);
  }, 90_000);
});
