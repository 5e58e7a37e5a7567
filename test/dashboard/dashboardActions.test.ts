import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from './headlessChromium.ts';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { eventually } from '../integration/eventually.ts';


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
  let chrome: HeadlessChromium | undefined;
  let campaignId: string;

  const status = async (): Promise<string | undefined> => (await stack.stores.campaigns.get(campaignId))?.status;
  const open = async (actor: string, role: string): Promise<void> => {
    await page.goto(`${stack.apiUrl}/?as=${actor}&role=${role}#campaign=${campaignId}`);
    await expect.poll(() => page.locator('#campaign-name').textContent(), { timeout: 10_000 }).toBe('Two-person rollout');
  };
  const buttons = (): Promise<string[]> => page.locator('#campaign-actions button').allTextContents();

  beforeAll(async () => {
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

    chrome = await launchChromium({ width: 1280, height: 900 });
    browser = chrome.context;
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
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
