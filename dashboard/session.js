// Who the dashboard talks to, and as whom. config.json (same origin) says: `{ "auth": "none" }`
// from the local stack (same-origin API, no signature), or the Cognito setup of a deployed stack
// (infra/constructs/DashboardHosting.ts writes it), in which case the page signs in through the
// hosted UI and signs every API request with SigV4. Tokens and credentials live in
// sessionStorage: they end with the tab.
import {
  authorizeUrl,
  codeChallenge,
  codeExchangeRequest,
  createCodeVerifier,
  createState,
  credentialsFresh,
  identityLogins,
  identityRequest,
  idTokenUsable,
  logoutUrl,
  readCallback,
  readCredentials,
  readTokens,
  refreshRequest,
  SignInError,
} from './auth.js';
import { signRequest } from './sigv4.js';

const STORAGE = { login: 'fota.login', tokens: 'fota.tokens', identity: 'fota.identityId', credentials: 'fota.credentials' };

const load = (key) => {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null') ?? undefined;
  } catch {
    return undefined;
  }
};
const save = (key, value) => sessionStorage.setItem(key, JSON.stringify(value));

async function postJson({ url, init }, what) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new SignInError(`${what} failed: ${body?.error ?? body?.message ?? `HTTP ${response.status}`}`);
  return body;
}

/** The deployment's configuration: `{ auth: 'none' }` or `{ auth: 'cognito', apiUrl, region, ... }`. */
export async function loadConfig() {
  const response = await fetch(new URL('./config.json', import.meta.url), { cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot load config.json (HTTP ${response.status})`);
  return response.json();
}

/**
 * Resolves to `{ apiBase, sign?, signOut? }` once the page may call the API. In a deployed
 * dashboard without a session it redirects to the hosted UI instead and never resolves.
 */
export async function startSession(config) {
  if (config.auth !== 'cognito') {
    // The local stack: same origin, or the base URL given as ?api=... ; no sign-in, so the page
    // says who it acts as with ?as=NAME&role=viewer|operator|approver (local/localCaller.ts).
    const params = new URLSearchParams(location.search);
    const as = params.get('as');
    const role = params.get('role');
    return {
      apiBase: (params.get('api') ?? '').replace(/\/+$/, ''),
      headers: { ...(as === null ? {} : { 'x-fota-actor': as }), ...(role === null ? {} : { 'x-fota-role': role }) },
    };
  }
  const redirectUri = `${location.origin}/`;
  await completeSignIn(config, redirectUri);

  let pending;
  const credentials = () => {
    const cached = load(STORAGE.credentials);
    if (credentialsFresh(cached)) return Promise.resolve(cached);
    // One renewal for all the requests of a refresh.
    pending ??= renewCredentials(config, redirectUri).finally(() => (pending = undefined));
    return pending;
  };
  await credentials();
  return {
    apiBase: config.apiUrl.replace(/\/+$/, ''),
    // GETs, and the campaign actions: POSTs without a body (the signature covers the empty payload).
    sign: async (url, method = 'GET') => signRequest({ method, url, region: config.region, service: 'execute-api', credentials: await credentials() }),
    signOut: () => {
      for (const key of Object.values(STORAGE)) sessionStorage.removeItem(key);
      location.assign(logoutUrl({ authDomain: config.authDomain, clientId: config.userPoolClientId, logoutUri: redirectUri }));
    },
  };
}

/** Handles the hosted UI's redirect back (`?code=&state=` or `?error=`), then clears the query. */
async function completeSignIn(config, redirectUri) {
  const login = load(STORAGE.login);
  const callback = readCallback(location.search, login?.state);
  if (callback.kind === 'none') return;
  sessionStorage.removeItem(STORAGE.login);
  history.replaceState(null, '', `/${login?.hash ?? ''}`);
  if (callback.kind === 'error') throw new SignInError(`sign-in failed: ${callback.message}; reload the page to sign in again`);
  const answer = await postJson(codeExchangeRequest({ authDomain: config.authDomain, clientId: config.userPoolClientId, redirectUri, code: callback.code, verifier: login.verifier }), 'code exchange');
  save(STORAGE.tokens, readTokens(answer));
  sessionStorage.removeItem(STORAGE.credentials);
}

/** New temporary credentials from the id token, refreshing it first or signing in again when needed. */
async function renewCredentials(config, redirectUri) {
  let tokens = load(STORAGE.tokens);
  if (tokens !== undefined && !idTokenUsable(tokens.idToken) && tokens.refreshToken !== undefined) {
    try {
      const answer = await postJson(refreshRequest({ authDomain: config.authDomain, clientId: config.userPoolClientId, refreshToken: tokens.refreshToken }), 'token refresh');
      tokens = readTokens(answer, tokens.refreshToken);
      save(STORAGE.tokens, tokens);
    } catch {
      tokens = undefined; // an expired or revoked refresh token: sign in again
    }
  }
  if (tokens === undefined || !idTokenUsable(tokens.idToken)) return redirectToSignIn(config, redirectUri);

  const logins = identityLogins(config, tokens.idToken);
  let identityId = load(STORAGE.identity);
  if (identityId === undefined) {
    identityId = (await postJson(identityRequest(config.region, 'GetId', { IdentityPoolId: config.identityPoolId, Logins: logins }), 'GetId')).IdentityId;
    save(STORAGE.identity, identityId);
  }
  const credentials = readCredentials(await postJson(identityRequest(config.region, 'GetCredentialsForIdentity', { IdentityId: identityId, Logins: logins }), 'GetCredentialsForIdentity'));
  save(STORAGE.credentials, credentials);
  return credentials;
}

/** Stores a fresh verifier and state for this tab and leaves for the hosted UI. Never resolves. */
async function redirectToSignIn(config, redirectUri) {
  const verifier = createCodeVerifier();
  const state = createState();
  save(STORAGE.login, { verifier, state, hash: location.hash });
  location.assign(authorizeUrl({ authDomain: config.authDomain, clientId: config.userPoolClientId, redirectUri, state, challenge: await codeChallenge(verifier) }));
  return new Promise(() => {});
}
