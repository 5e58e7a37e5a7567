// The sign-in of a deployed dashboard, as pure functions: the OAuth 2.0 authorization code flow
// with PKCE (RFC 7636) against the Cognito hosted UI, then Cognito Identity's enhanced flow
// (GetId, GetCredentialsForIdentity) for temporary AWS credentials that may only GET the API.
// session.js does the I/O (redirects, fetch, sessionStorage); test/dashboard/auth.test.ts covers
// these functions in Node.

/** Credentials are renewed this long before they expire, so no request is signed with stale ones. */
export const CREDENTIALS_RENEWAL_MARGIN_MS = 5 * 60_000;
/** An id token is not used for GetId this close to its expiry. */
export const ID_TOKEN_MARGIN_MS = 60_000;
const SCOPES = 'openid email';

export class SignInError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'SignInError';
  }
}

/** Base64url without padding (RFC 4648 §5), as PKCE and JWTs use it. */
export function base64url(bytes) {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A code verifier from 32 random octets: 43 characters of [A-Za-z0-9-_] (RFC 7636 §4.1). */
export function createCodeVerifier(random = crypto.getRandomValues(new Uint8Array(32))) {
  return base64url(random);
}

/** The S256 code challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2). */
export async function codeChallenge(verifier) {
  return base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

/** An unguessable `state` that ties the callback to the request this tab made. */
export function createState(random = crypto.getRandomValues(new Uint8Array(16))) {
  return base64url(random);
}

const origin = (authDomain) => `https://${authDomain}`;

/** The hosted UI's authorize endpoint for the code flow with PKCE. */
export function authorizeUrl({ authDomain, clientId, redirectUri, state, challenge }) {
  const url = new URL('/oauth2/authorize', origin(authDomain));
  url.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: SCOPES, state, code_challenge: challenge, code_challenge_method: 'S256' }).toString();
  return url.href;
}

/** The hosted UI's logout endpoint; it ends the Cognito session and returns to `logoutUri`. */
export function logoutUrl({ authDomain, clientId, logoutUri }) {
  const url = new URL('/logout', origin(authDomain));
  url.search = new URLSearchParams({ client_id: clientId, logout_uri: logoutUri }).toString();
  return url.href;
}

/**
 * What the page's query says about a sign-in: nothing, an error from the hosted UI, or a code.
 * A code whose `state` is not the one this tab stored is refused (a forged or replayed callback).
 * @returns {{ kind: 'none' } | { kind: 'code', code: string } | { kind: 'error', message: string }}
 */
export function readCallback(search, expectedState) {
  const params = new URLSearchParams(search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return { kind: 'none' };
  const state = params.get('state');
  if (expectedState === undefined || state === null || state !== expectedState) {
    return { kind: 'error', message: 'the sign-in response does not match a sign-in started here (state mismatch)' };
  }
  if (error !== null) return { kind: 'error', message: `${error}${params.get('error_description') ? `: ${params.get('error_description')}` : ''}` };
  return { kind: 'code', code };
}

/** The token endpoint request that exchanges a code (with its verifier) for tokens. */
export function codeExchangeRequest({ authDomain, clientId, redirectUri, code, verifier }) {
  return formPost(authDomain, { grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
}

/** The token endpoint request that trades a refresh token for a new id token. */
export function refreshRequest({ authDomain, clientId, refreshToken }) {
  return formPost(authDomain, { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });
}

function formPost(authDomain, fields) {
  return {
    url: new URL('/oauth2/token', origin(authDomain)).href,
    init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() },
  };
}

/** The tokens of a token endpoint answer; a refresh answer carries no new refresh token. */
export function readTokens(answer, previousRefreshToken) {
  if (typeof answer?.id_token !== 'string') throw new SignInError('the token endpoint returned no id token');
  const refreshToken = typeof answer.refresh_token === 'string' ? answer.refresh_token : previousRefreshToken;
  return { idToken: answer.id_token, ...(refreshToken === undefined ? {} : { refreshToken }) };
}

/** When a JWT expires (its `exp` claim), in milliseconds since the epoch. */
export function tokenExpiry(jwt) {
  const payload = jwt.split('.')[1];
  if (payload === undefined) throw new SignInError('the id token is not a JWT');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
  const exp = JSON.parse(json).exp;
  if (typeof exp !== 'number') throw new SignInError('the id token has no exp claim');
  return exp * 1000;
}

/** Whether an id token may still be presented to Cognito Identity. */
export function idTokenUsable(idToken, now = Date.now()) {
  try {
    return tokenExpiry(idToken) - ID_TOKEN_MARGIN_MS > now;
  } catch {
    return false;
  }
}

/** Whether cached credentials may still sign requests: valid for more than the renewal margin. */
export function credentialsFresh(credentials, now = Date.now(), marginMs = CREDENTIALS_RENEWAL_MARGIN_MS) {
  return credentials !== undefined && credentials !== null && typeof credentials.expiresAt === 'number' && credentials.expiresAt - marginMs > now;
}

/** The `Logins` map that presents a user pool id token to Cognito Identity. */
export function identityLogins({ region, userPoolId }, idToken) {
  return { [`cognito-idp.${region}.amazonaws.com/${userPoolId}`]: idToken };
}

/**
 * A Cognito Identity call (JSON 1.1 protocol, `X-Amz-Target`). GetId and GetCredentialsForIdentity
 * need no signature: the id token in `Logins` is the proof.
 */
export function identityRequest(region, operation, body) {
  return {
    url: `https://cognito-identity.${region}.amazonaws.com/`,
    init: { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${operation}` }, body: JSON.stringify(body) },
  };
}

/** The credentials of a GetCredentialsForIdentity answer (`Expiration` is in epoch seconds). */
export function readCredentials(answer) {
  const c = answer?.Credentials;
  if (typeof c?.AccessKeyId !== 'string' || typeof c.SecretKey !== 'string' || typeof c.SessionToken !== 'string' || typeof c.Expiration !== 'number') {
    throw new SignInError('Cognito Identity returned no credentials');
  }
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretKey, sessionToken: c.SessionToken, expiresAt: Math.round(c.Expiration * 1000) };
}
