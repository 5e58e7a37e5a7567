import { describe, expect, it } from 'vitest';
import { ApiError } from '../../functions/api/http.ts';
import { encodeCursor, paginate, parsePageQuery, timeOrderedKey } from '../../functions/api/pagination.ts';

const items = ['delta', 'alpha', 'echo', 'charlie', 'bravo'].map((name) => ({ name }));
const byName = (item: { name: string }): string => item.name;

describe('pagination', () => {
  it('answers the first page in key order with a cursor to the next', () => {
    expect(paginate(items, byName, { limit: 2 })).toEqual({ items: [{ name: 'alpha' }, { name: 'bravo' }], nextCursor: encodeCursor('bravo') });
  });

  it('starts after the key of the cursor and leaves the cursor out on the last page', () => {
    expect(paginate(items, byName, parsePageQuery({ limit: '2', cursor: encodeCursor('bravo') }))).toEqual({ items: [{ name: 'charlie' }, { name: 'delta' }], nextCursor: encodeCursor('delta') });
    expect(paginate(items, byName, { limit: 2, after: 'delta' })).toEqual({ items: [{ name: 'echo' }] });
    expect(paginate(items, byName, { limit: 5 })).toEqual({ items: [...items].sort((a, b) => a.name.localeCompare(b.name)) });
  });

  it('continues after a key that left the list meanwhile', () => {
    expect(paginate(items, byName, { limit: 1, after: 'bz' }).items).toEqual([{ name: 'charlie' }]);
    expect(paginate(items, byName, { limit: 1, after: 'zulu' })).toEqual({ items: [] });
  });

  it('defaults to 100 items and refuses limits outside 1..1000 naming the field', () => {
    expect(parsePageQuery({})).toEqual({ limit: 100 });
    expect(parsePageQuery({ limit: '1000' })).toEqual({ limit: 1000 });
    for (const limit of ['0', '1001', 'x', '1.5']) expect(() => parsePageQuery({ limit }), limit).toThrow(expect.objectContaining({ status: 400, field: 'limit' }) as ApiError);
  });

  it('refuses a cursor it did not issue, naming the field', () => {
    for (const cursor of ['a b', 'A', '']) expect(() => parsePageQuery({ cursor }), cursor).toThrow(expect.objectContaining({ status: 400, field: 'cursor' }) as ApiError);
  });

  it('orders time-keyed items by time, then id', () => {
    expect([timeOrderedKey(10_000, 'b'), timeOrderedKey(9_999, 'z'), timeOrderedKey(10_000, 'a')].sort()).toEqual([timeOrderedKey(9_999, 'z'), timeOrderedKey(10_000, 'a'), timeOrderedKey(10_000, 'b')]);
  });
});
