// The REST API as the dashboard uses it: GETs only. Same origin for the local stack (or the base
// URL given as ?api=...), or a deployed stack's API, each request signed with SigV4 (session.js).

let client = { base: '', sign: undefined };

/** Where requests go and how they are signed; called once at start-up (app.js). */
export function configureApi({ apiBase, sign }) {
  client = { base: apiBase, sign };
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export async function getJson(path, query = {}) {
  const url = new URL(`${client.base}${path}`, location.href);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const request = client.sign === undefined ? { url: url.href, headers: {} } : await client.sign(url);
  const response = await fetch(request.url, { headers: { accept: 'application/json', ...request.headers } });
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
