/**
 * The dashboard's static files (dashboard/: plain HTML, CSS and ES modules, no build step), served
 * by the local API server at `/` and `/dashboard/*`, plus its `config.json`, which tells the page
 * to call the API on its own origin without signing in (a deployed stack writes its own: see
 * infra/constructs/DashboardHosting.ts).
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const DASHBOARD_DIRECTORY = fileURLToPath(new URL('../dashboard/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Everything the page loads comes from this origin; no inline script, no third party. The deployed
 * dashboard sends the same policy with the API and Cognito added to `connect-src`.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy': DASHBOARD_CONTENT_SECURITY_POLICY,
};

/** The page's configuration in the local stack: no sign-in, the API on the same origin. */
export const LOCAL_DASHBOARD_CONFIG = { auth: 'none' } as const;
const CONFIG_PATH = '/dashboard/config.json';

export interface StaticResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
}

/** Whether a request path belongs to the dashboard rather than to the API. */
export function isDashboardPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/dashboard' || pathname.startsWith('/dashboard/');
}

/** The file a dashboard path names, or a 404/405 in the API's error shape. */
export async function readDashboardFile(method: string, pathname: string): Promise<StaticResponse> {
  const json = { 'content-type': 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: json, body: JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${pathname}` } }) };
  }
  if (pathname === CONFIG_PATH) return { status: 200, headers: { ...json, ...HEADERS }, body: JSON.stringify(LOCAL_DASHBOARD_CONFIG) };
  const notFound: StaticResponse = { status: 404, headers: json, body: JSON.stringify({ error: { code: 'NOT_FOUND', message: `no dashboard file ${pathname}` } }) };
  const file = dashboardFile(pathname);
  const contentType = file === undefined ? undefined : CONTENT_TYPES[extname(file)];
  if (file === undefined || contentType === undefined) return notFound;
  try {
    return { status: 200, headers: { 'content-type': contentType, ...HEADERS }, body: await readFile(file) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return notFound;
    throw error;
  }
}

/** The absolute file a path names inside dashboard/, or undefined when it names none. */
function dashboardFile(pathname: string): string | undefined {
  if (pathname === '/' || pathname === '/dashboard' || pathname === '/dashboard/') return resolve(DASHBOARD_DIRECTORY, 'index.html');
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice('/dashboard/'.length));
  } catch {
    return undefined;
  }
  const file = resolve(DASHBOARD_DIRECTORY, relative);
  // resolve() folds any `..`: a path that leaves the folder is not a dashboard file.
  const root = DASHBOARD_DIRECTORY.endsWith(sep) ? DASHBOARD_DIRECTORY : `${DASHBOARD_DIRECTORY}${sep}`;
  return file.startsWith(root) ? file : undefined;
}
