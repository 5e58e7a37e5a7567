import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from './headlessChromium.ts';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { jobKeyFor } from '../../core/jobs/FirmwareJob.ts';
import { eventually } from '../integration/eventually.ts';


/**
 * The dashboard's fleet page and device page in headless Chromium against the real local stack:
 * three simulated devices, a device whose registration expired, a device whose last update failed;
 * and the page of a campaign id that does not exist.
 */
describe('fleet dashboard in a browser', () => {
  let stack: LocalStack;
  let fleet: Fleet;
  let browser: BrowserContext;
  let page: Page;
  let chrome: HeadlessChromium | undefined;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    fleet = new Fleet({ size: 3, serverPort: stack.edge.address.port, endpointPrefix: 'fleet-meter', deviceOptions: (i) => ({ model: 'FLT-1', firmwareVersion: i === 0 ? '1.0.0' : '1.2.0' }) });
    await fleet.start();
    await eventually(async () => {
      const devices = await stack.stores.registrations.list();
      if (devices.filter((d) => d.firmwareVersion !== undefined).length < 3) throw new Error(`${devices.length} registered`);
    }, { what: 'three devices with their facts' });
    const now = Date.now();
    await stack.stores.registrations.put({ endpoint: 'fleet-gone', registrationId: 'fleet-gone-1', address: '127.0.0.1', port: 9, lifetimeSeconds: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false, objectLinks: [], supportedFormats: [], ownerTask: 'nobody', registeredAt: now - 3_600_000, lastSeen: now - 3_600_000, model: 'FLT-1', firmwareVersion: '1.0.0' });
    await stack.stores.jobs.createJobs([{ campaignId: 'fleet-failed-campaign', jobKey: jobKeyFor(0, 'fleet-meter-00001'), endpoint: 'fleet-meter-00001', cohort: 0, status: 'FAILED', version: 1, attempt: 0, imageId: 'img', targetVersion: '1.3.0', downloadToken: 'fleet-token', reason: 'INTEGRITY_CHECK_FAILURE', createdAt: now, updatedAt: now, history: [] }]);

    chrome = await launchChromium({ width: 1440, height: 1000 });
    browser = chrome.context;
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await chrome?.close();
    await fleet?.stop();
    await stack?.stop();
  });

  it('shows the histogram by model and version, the offline devices and those whose last update failed', async () => {
    await page.goto(`${stack.apiUrl}/#fleet`);
    await expect.poll(() => page.locator('#fleet h2').first().textContent(), { timeout: 10_000 }).toBe('Fleet: 4 device(s)');
    const rows = page.locator('.hist-row');
    const histogram = await Promise.all((await rows.all()).map(async (row) => [await row.getAttribute('data-version'), await row.getAttribute('data-devices')]));
    expect(histogram).toEqual([['1.0.0', '2'], ['1.2.0', '2']]);
    expect(await page.locator('#fleet-offline a.device-link').allTextContents()).toEqual(['fleet-gone']);
    expect(await page.locator('#fleet-failed tbody tr').first().textContent()).toContain('INTEGRITY_CHECK_FAILURE');
  });

  it("opens a device's page from the fleet page: its firmware history and the campaign that failed", async () => {
    await page.locator('#fleet-failed a.device-link').first().click();
    await expect.poll(() => page.locator('#device-name').textContent(), { timeout: 10_000 }).toBe('fleet-meter-00001');
    expect(await page.locator('#device-versions tbody tr').first().textContent()).toContain('1.2.0');
    expect(await page.locator('#device-updates tbody tr').first().textContent()).toContain('fleet-failed-campaign');
  });

  it('answers an unknown campaign id in its own layout, without retrying as if the API were down', async () => {
    await page.goto(`${stack.apiUrl}/#campaign=no-such-campaign`);
    await expect.poll(() => page.locator('#empty').textContent(), { timeout: 10_000 }).toBe('No campaign no-such-campaign: pick one from the list.');
    expect(await page.locator('#campaign').isHidden()).toBe(true);
    expect(await page.locator('nav.sidebar h2').textContent()).toBe('Campaigns');
    expect(await page.locator('#connection').getAttribute('class')).toBe('connection ok');
  });
});
