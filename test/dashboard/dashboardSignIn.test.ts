import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { type BrowserContext, type Page, type Request, type Route } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from './headlessChromium.ts';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../cli/requestSigner.ts';
import { dashboardConnectSources, dashboardContentSecurityPolicy } from '../../infra/constructs/DashboardHosting.ts';
import { readDashboardFile } from '../../local/dashboardFiles.ts';


// Every host below is answered inside the browser by Playwright's request routing: nothing leaves
// the machine. The host names are the real shapes, so the deployed CSP is what lets them through.
const REGION = 'eu-west-1';
const DASHBOARD = 'https://d111111abcdef8.cloudfront.net';
const AUTH_DOMAIN = 'fota-mock-1a2b3c4d.auth.eu-west-1.amazoncognito.com';
const IDENTITY = `https://cognito-identity.${REGION}.amazonaws.com`;
const API = `https://abc123.execute-api.${REGION}.amazonaws.com`;
const USER_POOL_ID = 'eu-west-1_MockPool';
const CLIENT_ID = 'mockclientid';
const CONFIG = { auth: 'cognito', apiUrl: API, region: REGION, userPoolId: USER_POOL_ID, userPoolClientId: CLIENT_ID, identityPoolId: 'eu-west-1:mock-identity-pool', authDomain: AUTH_DOMAIN };

const CORS = { 'access-control-allow-origin': DASHBOARD, 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS' };
const json = (route: Route, status: number, body: unknown): Promise<void> => route.fulfill({ status, headers: { ...CORS, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * A mock of Cognito (hosted UI, token endpoint, Cognito Identity) with the protocol checks a real
 * one makes: the PKCE verifier must hash to the challenge, the code is single-use, GetId and
 * GetCredentialsForIdentity need the id token it issued. Cognito has no local emulator.
 */
class MockCognito {
  readonly authorizeCalls: URLSearchParams[] = [];
  readonly credentialsIssued: { accessKeyId: string; secretAccessKey: string; sessionToken: string }[] = [];
  private readonly codes = new Map<string, string>();
  private idToken = '';

  async handle(route: Route, request: Request, url: URL): Promise<void> {
    if (url.host === AUTH_DOMAIN && url.pathname === '/oauth2/authorize') {
      this.authorizeCalls.push(url.searchParams);
      const code = randomUUID();
      this.codes.set(code, url.searchParams.get('code_challenge') ?? '');
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.search = new URLSearchParams({ code, state: url.searchParams.get('state') ?? '' }).toString();
      return route.fulfill({ status: 302, headers: { location: back.href } });
    }
    if (url.host === AUTH_DOMAIN && url.pathname === '/oauth2/token') {
      const form = new URLSearchParams(request.postData() ?? '');
      const challenge = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      const verified = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === challenge;
      if (challenge === undefined || !verified || form.get('client_id') !== CLIENT_ID || form.get('redirect_uri') !== `${DASHBOARD}/`) return json(route, 400, { error: 'invalid_grant' });
      this.idToken = [{ alg: 'none' }, { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 }].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.sig';
      return json(route, 200, { id_token: this.idToken, access_token: 'mock-access', refresh_token: 'mock-refresh', expires_in: 3600, token_type: 'Bearer' });
    }
    if (`${url.protocol}//${url.host}` === IDENTITY) {
      const body = JSON.parse(request.postData() ?? '{}') as { Logins?: Record<string, string> };
      if (request.headers()['content-type'] !== 'application/x-amz-json-1.1' || body.Logins?.[`cognito-idp.${REGION}.amazonaws.com/${USER_POOL_ID}`] !== this.idToken) {
        return json(route, 400, { __type: 'NotAuthorizedException', message: 'Invalid login token' });
      }
      if (request.headers()['x-amz-target'] === 'AWSCognitoIdentityService.GetId') return json(route, 200, { IdentityId: `${REGION}:mock-identity` });
      const credentials = { accessKeyId: `ASIAMOCK${this.credentialsIssued.length}`, secretAccessKey: randomUUID(), sessionToken: randomUUID() };
      this.credentialsIssued.push(credentials);
      return json(route, 200, { IdentityId: `${REGION}:mock-identity`, Credentials: { AccessKeyId: credentials.accessKeyId, SecretKey: credentials.secretAccessKey, SessionToken: credentials.sessionToken, Expiration: Date.now() / 1000 + 3600 } });
    }
    return route.abort();
  }
}

/**
 * The deployed dashboard's sign-in in headless Chromium: the real page (files of dashboard/, the
 * CSP of infra/constructs/DashboardHosting.ts) against a mock Cognito and a mock API that checks
 * every SigV4 signature with @smithy/signature-v4.
 */
describe('deployed dashboard sign-in against a mock Cognito', () => {
  let browser: BrowserContext;
  let page: Page;
  let chrome: HeadlessChromium | undefined;
  const cognito = new MockCognito();
  const apiCalls: { path: string; signatureValid: boolean }[] = [];

  async function serveDashboard(route: Route, request: Request, url: URL): Promise<void> {
    if (url.pathname === '/dashboard/config.json') return json(route, 200, CONFIG);
    const file = await readDashboardFile(request.method(), url.pathname);
    const csp = dashboardContentSecurityPolicy(dashboardConnectSources(REGION, AUTH_DOMAIN));
    return route.fulfill({ status: file.status, headers: { ...file.headers, 'content-security-policy': csp }, body: typeof file.body === 'string' ? file.body : Buffer.from(file.body) });
  }

  async function serveApi(route: Route, request: Request, url: URL): Promise<void> {
    if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: CORS });
    const headers = request.headers();
    const credentials = cognito.credentialsIssued.at(-1);
    const amzDate = headers['x-amz-date'] ?? '';
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const expected =
      credentials === undefined
        ? undefined
        : await new SignatureV4({ service: 'execute-api', region: REGION, credentials, sha256: NodeSha256, applyChecksum: false }).sign(
            { method: request.method(), protocol: url.protocol, hostname: url.hostname, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { host: url.host } },
            { signingDate },
          );
    const signatureValid = expected !== undefined && headers['authorization'] === expected.headers['authorization'] && headers['x-amz-security-token'] === credentials?.sessionToken;
    apiCalls.push({ path: `${url.pathname}${url.search}`, signatureValid });
    if (!signatureValid) return json(route, 403, { message: 'The request signature we calculated does not match the signature you provided.' });
    return json(route, 200, { items: [] });
  }

  beforeAll(async () => {
    chrome = await launchChromium();
    browser = chrome.context;
    await browser.route('**/*', async (route, request) => {
      const url = new URL(request.url());
      if (`${url.protocol}//${url.host}` === DASHBOARD) return serveDashboard(route, request, url);
      if (`${url.protocol}//${url.host}` === API) return serveApi(route, request, url);
      return cognito.handle(route, request, url);
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await chrome?.close();
  });

  it('signs in through the hosted UI with PKCE, then reads the API with SigV4-signed GETs', async () => {
    // A fragment survives the round trip through the hosted UI (no campaign exists in this mock API).
    await page.goto(`${DASHBOARD}/#since=5m`);
    await expect.poll(() => page.locator('#connection').textContent(), { timeout: 15_000 }).toMatch(/^live/);

    const [authorize] = cognito.authorizeCalls;
    expect(authorize?.get('code_challenge_method')).toBe('S256');
    expect(authorize?.get('redirect_uri')).toBe(`${DASHBOARD}/`);
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.every((call) => call.signatureValid)).toBe(true);
    // Who the person is (which actions to offer) first, then the campaigns.
    expect(apiCalls.slice(0, 2).map((call) => call.path)).toEqual(['/whoami', '/campaigns?limit=1000']);
    // The code and state are gone from the address bar, the fragment the user opened is back.
    expect(page.url()).toBe(`${DASHBOARD}/#since=5m`);
    expect(await page.locator('#sign-out').isVisible()).toBe(true);
  });

  it('reuses the credentials kept in the tab on a reload, without signing in again', async () => {
    const signIns = cognito.authorizeCalls.length;
    const issued = cognito.credentialsIssued.length;
    const calls = apiCalls.length;
    await page.reload();
    await expect.poll(() => apiCalls.length, { timeout: 10_000 }).toBeGreaterThan(calls);
    expect(cognito.authorizeCalls.length).toBe(signIns);
    expect(cognito.credentialsIssued.length).toBe(issued);
  });

  it('refuses a callback whose state this tab did not issue', async () => {
    const issued = cognito.credentialsIssued.length;
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${DASHBOARD}/?code=stolen-code&state=forged`);
    await expect.poll(() => page.locator('#connection').textContent(), { timeout: 10_000 }).toContain('state mismatch');
    expect(cognito.credentialsIssued.length).toBe(issued);
    expect(page.url()).toBe(`${DASHBOARD}/`);
  });
});
