import { beforeAll, describe, expect, it } from 'vitest';

interface HttpCall {
  readonly url: string;
  readonly init: { method: string; headers: Record<string, string>; body: string };
}
type Callback = { kind: 'none' } | { kind: 'code'; code: string } | { kind: 'error'; message: string };
interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}
interface AuthModule {
  CREDENTIALS_RENEWAL_MARGIN_MS: number;
  createCodeVerifier(random?: Uint8Array): string;
  codeChallenge(verifier: string): Promise<string>;
  createState(): string;
  authorizeUrl(options: { authDomain: string; clientId: string; redirectUri: string; state: string; challenge: string }): string;
  logoutUrl(options: { authDomain: string; clientId: string; logoutUri: string }): string;
  readCallback(search: string, expectedState: string | undefined): Callback;
  codeExchangeRequest(options: { authDomain: string; clientId: string; redirectUri: string; code: string; verifier: string }): HttpCall;
  refreshRequest(options: { authDomain: string; clientId: string; refreshToken: string }): HttpCall;
  readTokens(answer: unknown, previousRefreshToken?: string): { idToken: string; refreshToken?: string };
  tokenExpiry(jwt: string): number;
  idTokenUsable(idToken: string, now?: number): boolean;
  credentialsFresh(credentials: Credentials | undefined, now?: number): boolean;
  identityLogins(pool: { region: string; userPoolId: string }, idToken: string): Record<string, string>;
  identityRequest(region: string, operation: string, body: unknown): HttpCall;
  readCredentials(answer: unknown): Credentials;
}

const AUTH_DOMAIN = 'fota-dev-orchestration-1a2b3c4d.auth.eu-west-1.amazoncognito.com';
const CLIENT_ID = '4example0client0id';
const REDIRECT_URI = 'https://d111111abcdef8.cloudfront.net/';

/** An unsigned JWT with the given claims: the page only reads `exp` (Cognito Identity verifies the signature). */
const jwt = (claims: Record<string, unknown>): string => ['{"alg":"none"}', JSON.stringify(claims)].map((part) => Buffer.from(part).toString('base64url')).join('.') + '.';

/** dashboard/auth.js: the sign-in logic of a deployed dashboard, as pure functions, run in Node 20. */
describe('dashboard sign-in logic', () => {
  let auth: AuthModule;

  beforeAll(async () => {
    auth = (await import(new URL('../../dashboard/auth.js', import.meta.url).href)) as AuthModule;
  });

  describe('PKCE (RFC 7636)', () => {
    it('derives the verifier and S256 challenge of RFC 7636 appendix B from its 32 octets', async () => {
      const octets = new Uint8Array([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]);
      const verifier = auth.createCodeVerifier(octets);
      expect(verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
      expect(await auth.codeChallenge(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    });

    it('makes a fresh 43-character unreserved verifier and state each time', () => {
      const verifiers = new Set(Array.from({ length: 20 }, () => auth.createCodeVerifier()));
      expect(verifiers.size).toBe(20);
      for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(auth.createState()).not.toBe(auth.createState());
    });

    it('asks the hosted UI for a code with the S256 challenge, the state and the dashboard as redirect', () => {
      const url = new URL(auth.authorizeUrl({ authDomain: AUTH_DOMAIN, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 'st4te', challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' }));
      expect(`${url.origin}${url.pathname}`).toBe(`https://${AUTH_DOMAIN}/oauth2/authorize`);
      expect(Object.fromEntries(url.searchParams)).toEqual({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT_URI,
        scope: 'openid email',
        state: 'st4te',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
    });

    it('exchanges the code at /oauth2/token with its verifier and no client secret', () => {
      const call = auth.codeExchangeRequest({ authDomain: AUTH_DOMAIN, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, code: 'the-code', verifier: 'the-verifier' });
      expect(call.url).toBe(`https://${AUTH_DOMAIN}/oauth2/token`);
      expect(call.init.method).toBe('POST');
      expect(call.init.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(call.init.body))).toEqual({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: 'the-code', redirect_uri: REDIRECT_URI, code_verifier: 'the-verifier' });
    });
  });

  describe('the callback', () => {
    it('sees no sign-in in an ordinary page load', () => {
      expect(auth.readCallback('', 'st4te')).toEqual({ kind: 'none' });
      expect(auth.readCallback('?api=x', undefined)).toEqual({ kind: 'none' });
    });

    it('accepts a code whose state is the one this tab stored', () => {
      expect(auth.readCallback('?code=abc&state=st4te', 'st4te')).toEqual({ kind: 'code', code: 'abc' });
    });

    it('refuses a code whose state differs from the stored one', () => {
      expect(auth.readCallback('?code=abc&state=forged', 'st4te')).toMatchObject({ kind: 'error', message: expect.stringContaining('state mismatch') });
    });

    it('refuses a code when this tab started no sign-in, or when the state is missing', () => {
      expect(auth.readCallback('?code=abc&state=st4te', undefined).kind).toBe('error');
      expect(auth.readCallback('?code=abc', 'st4te').kind).toBe('error');
    });

    it("reports the hosted UI's error with its description", () => {
      expect(auth.readCallback('?error=access_denied&error_description=User+is+disabled&state=st4te', 'st4te')).toEqual({ kind: 'error', message: 'access_denied: User is disabled' });
    });
  });

  describe('tokens and credentials', () => {
    it('keeps the refresh token when a refresh answer brings none', () => {
      expect(auth.readTokens({ id_token: 'id1', access_token: 'a', refresh_token: 'r1' })).toEqual({ idToken: 'id1', refreshToken: 'r1' });
      expect(auth.readTokens({ id_token: 'id2', access_token: 'a' }, 'r1')).toEqual({ idToken: 'id2', refreshToken: 'r1' });
      expect(() => auth.readTokens({ error: 'invalid_grant' })).toThrow(/no id token/);
    });

    it('refreshes with the refresh_token grant', () => {
      const call = auth.refreshRequest({ authDomain: AUTH_DOMAIN, clientId: CLIENT_ID, refreshToken: 'r1' });
      expect(Object.fromEntries(new URLSearchParams(call.init.body))).toEqual({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: 'r1' });
    });

    it('uses an id token until a minute before its exp claim', () => {
      const now = Date.UTC(2025, 0, 1, 12);
      const idToken = jwt({ sub: 'u', exp: now / 1000 + 3600 });
      expect(auth.tokenExpiry(idToken)).toBe(now + 3_600_000);
      expect(auth.idTokenUsable(idToken, now)).toBe(true);
      expect(auth.idTokenUsable(idToken, now + 3_600_000 - 30_000)).toBe(false);
      expect(auth.idTokenUsable('not a jwt', now)).toBe(false);
    });

    it('presents the id token to Cognito Identity under the user pool provider name', () => {
      expect(auth.identityLogins({ region: 'eu-west-1', userPoolId: 'eu-west-1_AbC' }, 'id1')).toEqual({ 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC': 'id1' });
    });

    it('calls Cognito Identity with the JSON 1.1 protocol and X-Amz-Target, unsigned', () => {
      const call = auth.identityRequest('eu-west-1', 'GetCredentialsForIdentity', { IdentityId: 'eu-west-1:1234' });
      expect(call.url).toBe('https://cognito-identity.eu-west-1.amazonaws.com/');
      expect(call.init).toEqual({
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.GetCredentialsForIdentity' },
        body: '{"IdentityId":"eu-west-1:1234"}',
      });
    });

    it('reads temporary credentials, their expiration turned from epoch seconds into milliseconds', () => {
      const credentials = auth.readCredentials({ IdentityId: 'x', Credentials: { AccessKeyId: 'ASIA1', SecretKey: 's', SessionToken: 't', Expiration: 1_735_736_400.5 } });
      expect(credentials).toEqual({ accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't', expiresAt: 1_735_736_400_500 });
      expect(() => auth.readCredentials({ __type: 'NotAuthorizedException', message: 'Invalid login token' })).toThrow(/no credentials/);
    });

    it('treats credentials as fresh until five minutes before they expire, then renews them', () => {
      const now = Date.UTC(2025, 0, 1, 12);
      const expiringAt = (expiresAt: number): Credentials => ({ accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't', expiresAt });
      expect(auth.CREDENTIALS_RENEWAL_MARGIN_MS).toBe(300_000);
      expect(auth.credentialsFresh(expiringAt(now + 3_600_000), now)).toBe(true);
      expect(auth.credentialsFresh(expiringAt(now + 300_001), now)).toBe(true);
      expect(auth.credentialsFresh(expiringAt(now + 300_000), now)).toBe(false);
      expect(auth.credentialsFresh(expiringAt(now - 1), now)).toBe(false);
      expect(auth.credentialsFresh(undefined, now)).toBe(false);
    });

    it('signs out through the hosted UI, back to the dashboard', () => {
      const url = new URL(auth.logoutUrl({ authDomain: AUTH_DOMAIN, clientId: CLIENT_ID, logoutUri: REDIRECT_URI }));
      expect(`${url.origin}${url.pathname}`).toBe(`https://${AUTH_DOMAIN}/logout`);
      expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: CLIENT_ID, logout_uri: REDIRECT_URI });
    });
  });
});
