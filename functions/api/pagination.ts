/**
 * Pagination of list responses: `?limit=` (default 100, at most 1000) and an opaque `?cursor=`,
 * the base64url of the list's name and the last key of the previous page (a cursor of one list is
 * refused by another). Answers are `{ items, nextCursor? }`.
 *
 * The page is cut from the full list, sorted by a stable key, after the store returned it. At the
 * scale of a fleet (thousands of devices, jobs and campaigns, each list a few MB at most) one
 * query per request is cheaper than keeping DynamoDB's LastEvaluatedKey consistent across the
 * filters and sorts the route handlers apply; the cursor stays opaque, so a store-level page can
 * replace this without a change to clients.
 */
import { z } from 'zod';
import { ApiError } from './http.ts';
import { validate } from './schemas.ts';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor from nextCursor').optional(),
});

export interface PageQuery {
  readonly limit: number;
  /** Which list the page is of ("GET /devices"): its cursors name it. */
  readonly list: string;
  /** The decoded key after which the page starts. */
  readonly after?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** The page parameters of a request's query for the list named `list`, or a 400 naming `limit` or `cursor`. */
export function parsePageQuery(query: Readonly<Record<string, string>>, list: string): PageQuery {
  const { limit, cursor } = validate(PageQuerySchema, { limit: query['limit'], cursor: query['cursor'] });
  if (cursor === undefined) return { limit, list };
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const separator = text.indexOf('\n');
  const after = text.slice(separator + 1);
  if (separator < 0 || after === '' || Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw new ApiError(400, 'INVALID_REQUEST', 'cursor: not a cursor this API returned', 'cursor');
  if (text.slice(0, separator) !== list) throw new ApiError(400, 'INVALID_REQUEST', `cursor: a cursor of another list (${text.slice(0, separator)}), not of ${list}`, 'cursor');
  return { limit, list, after };
}

export function encodeCursor(list: string, key: string): string {
  return Buffer.from(`${list}\n${key}`, 'utf8').toString('base64url');
}

/** One page of `items` in ascending order of `keyOf`, starting after the query's key. */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, query: PageQuery): Page<T> {
  const keyed = items.map((item) => ({ key: keyOf(item), item })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const after = query.after;
  const start = after === undefined ? 0 : keyed.findIndex(({ key }) => key > after);
  const rest = start < 0 ? [] : keyed.slice(start);
  const page = rest.slice(0, query.limit);
  const last = page.at(-1);
  return { items: page.map(({ item }) => item), ...(rest.length > query.limit && last !== undefined ? { nextCursor: encodeCursor(query.list, last.key) } : {}) };
}

/** A sort key from a timestamp and an id: zero-padded so text order is time order. */
export function timeOrderedKey(at: unknown, id: unknown): string {
  return `${String(typeof at === 'number' ? Math.max(0, Math.trunc(at)) : 0).padStart(15, '0')}#${String(id)}`;
}
