import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from './headlessChromium.ts';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';


/**
 * The dashboard in headless Chromium against the real local stack: 20 simulated devices, a
 * campaign released at 120 devices a minute so it runs for several seconds, two devices that
 * find the image corrupt (Update Result 5).
 */
describe('campaign dashboard in a browser', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  let browser: BrowserContext;
  let page: Page;
  let chrome: HeadlessChromium | undefined;
  let campaignId: string;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    fleet = new Fleet({ size: 20, serverPort: stack.edge.address.port, endpointPrefix: 'dash-meter', deviceOptions: (i) => ({ model: 'DASH-1', firmwareVersion: '1.0.0', ...(i === 4 || i === 13 ? { downloadFailure: 5 } : {}) }) });
    await fleet.start();
    for (let i = 0; i < 100 && (await stack.stores.registrations.list()).length < 20; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const image = await stack.stores.images.store({ version: '1.1.0', models: ['DASH-1'] }, buildFirmwarePackage('1.1.0', 2048));
    const response = await fetch(`${stack.apiUrl}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Meters 1.1.0 rollout', imageId: image.imageId, target: { model: 'DASH-1' }, cohorts: [{ count: 2 }, { percent: 100 }], rate: { devicesPerMinute: 120 }, pollSeconds: 1, abortFailurePercent: 50, retry: {} }),
    });
    expect(response.status).toBe(201);
    campaignId = ((await response.json()) as { campaignId: string }).campaignId;

    chrome = await launchChromium({ width: 1440, height: 1000 });
    browser = chrome.context;
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await chrome?.close();
    await fleet?.stop();
    await stack?.stop();
  });

  const finishedCount = async (): Promise<number> => Number(await page.locator('[data-metric="finished"] .tile-value').textContent());

  it('shows the campaign and its progress advancing, polled every second', async () => {
    await page.goto(`${stack.apiUrl}/`);
    await expect.poll(() => page.locator('#campaign-name').textContent(), { timeout: 10_000 }).toBe('Meters 1.1.0 rollout');
    await expect.poll(() => page.locator('#campaign-list a.selected').getAttribute('data-campaign-id')).toBe(campaignId);
    await expect.poll(() => page.locator('[data-metric="total"] .tile-value').textContent(), { timeout: 10_000 }).toBe('20');

    const first = await finishedCount();
    await expect.poll(finishedCount, { timeout: 20_000, interval: 250 }).toBeGreaterThan(first);
    expect(await finishedCount()).toBeLessThanOrEqual(20);
    expect(await page.locator('.cohort').count()).toBe(2);
    expect(await page.locator('#chart svg polygon').count()).toBeGreaterThan(0);
  });

  it('finds a device by searching the table and opens its job history', async () => {
    await page.fill('#device-search', 'dash-meter-00013');
    await expect.poll(() => page.locator('#devices-body tr.device').count()).toBe(1);
    expect(await page.locator('#devices-body tr.device td.endpoint').textContent()).toBe('dash-meter-00013');
    await page.click('#devices-body tr.device');
    await expect.poll(() => page.locator('#devices-body .history li').count(), { timeout: 5000 }).toBeGreaterThan(0);

    await page.fill('#device-search', 'no such device');
    await expect.poll(() => page.locator('#devices-body tr.device').count()).toBe(0);
    expect(await page.locator('#device-count').textContent()).toBe('0 of 20 devices');
    await page.fill('#device-search', '');
    await expect.poll(() => page.locator('#devices-body tr.device').count()).toBe(20);
  });

  it('shows failure reasons once the failing devices reported, and saves a screenshot', async () => {
    await expect.poll(() => page.locator('#failures .reason-name').allTextContents(), { timeout: 30_000, interval: 500 }).toContain('INTEGRITY_CHECK_FAILURE');
    await page.fill('#device-search', 'dash-meter-0001');
    await page.waitForTimeout(1200);
    const screenshot = join(tmpdir(), 'fota-dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    process.stdout.write(`dashboard screenshot: ${screenshot}\n`);
    expect(existsSync(screenshot)).toBe(true);
  });
});
