// The REST API as the dashboard uses it: same origin by default, or the base URL given as
// ?api=... (a deployed stack behind a proxy that signs requests).

const base = (new URLSearchParams(location.search).get('api') ?? '').replace(/\/+$/, '');

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export async function getJson(path, query = {}) {
  const url = new URL(`${base}${path}`, location.href);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, body?.error?.message ?? `HTTP ${response.status}`);
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
