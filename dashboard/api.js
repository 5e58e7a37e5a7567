// The REST API as the dashboard uses it: GETs, and the campaign actions (POSTs without a body).
// Same origin for the local stack (or the base URL given as ?api=...), or a deployed stack's API,
// each request signed with SigV4 (session.js).

let client = { base: '', sign: undefined, headers: {} };

/** Where requests go, how they are signed, and the local caller's identity headers; called once at start-up (app.js). */
export function configureApi({ apiBase, sign, headers = {} }) {
  client = { base: apiBase, sign, headers };
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export async function getJson(path, query = {}) {
  return call('GET', path, query);
}

/** POST without a body (the campaign actions): the API's answer, or an ApiError with its message. */
export async function postAction(path) {
  return call('POST', path, {});
}

async function call(method, path, query) {
  const url = new URL(`${client.base}${path}`, location.href);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const request = client.sign === undefined ? { url: url.href, headers: {} } : await client.sign(url, method);
  const response = await fetch(request.url, { method, headers: { accept: 'application/json', ...client.headers, ...request.headers } });
  const body = await response.json().catch(() => undefined);
  // API Gateway's own refusals (403 of IAM authorization) say `message`, the API says `error.message`.
  if (!response.ok) throw new ApiError(response.status, body?.error?.message ?? body?.message ?? `HTTP ${response.status}`);
  return body;
}

/** Every item of a paginated list route (bounded: 50 pages of 1000). */
export async function listAll(path) {
  const items = [];
  let cursor;
  for (let page = 0; page < 50; page++) {
    const answer = await getJson(path, { limit: '1000', ...(cursor === undefined ? {} : { cursor }) });
    items.push(...answer.items);
    cursor = answer.nextCursor;
    if (cursor === undefined) break;
  }
  return items;
}
