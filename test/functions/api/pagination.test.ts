import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../functions/api/http.ts';
import { encodeCursor, paginate, parsePageQuery, timeOrderedKey } from '../../../functions/api/pagination.ts';

const items = ['delta', 'alpha', 'echo', 'charlie', 'bravo'].map((name) => ({ name }));
const byName = (item: { name: string }): string => item.name;
const LIST = 'GET /names';

describe('pagination', () => {
  it('answers the first page in key order with a cursor to the next', () => {
    expect(paginate(items, byName, { limit: 2, list: LIST })).toEqual({ items: [{ name: 'alpha' }, { name: 'bravo' }], nextCursor: encodeCursor(LIST, 'bravo') });
  });

  it('starts after the key of the cursor and leaves the cursor out on the last page', () => {
    expect(paginate(items, byName, parsePageQuery({ limit: '2', cursor: encodeCursor(LIST, 'bravo') }, LIST))).toEqual({ items: [{ name: 'charlie' }, { name: 'delta' }], nextCursor: encodeCursor(LIST, 'delta') });
    expect(paginate(items, byName, { limit: 2, list: LIST, after: 'delta' })).toEqual({ items: [{ name: 'echo' }] });
    expect(paginate(items, byName, { limit: 5, list: LIST })).toEqual({ items: [...items].sort((a, b) => a.name.localeCompare(b.name)) });
  });

  it('continues after a key that left the list meanwhile', () => {
    expect(paginate(items, byName, { limit: 1, list: LIST, after: 'bz' }).items).toEqual([{ name: 'charlie' }]);
    expect(paginate(items, byName, { limit: 1, list: LIST, after: 'zulu' })).toEqual({ items: [] });
  });

  it('defaults to 100 items and refuses limits outside 1..1000 naming the field', () => {
    expect(parsePageQuery({}, LIST)).toEqual({ limit: 100, list: LIST });
    expect(parsePageQuery({ limit: '1000' }, LIST)).toEqual({ limit: 1000, list: LIST });
    for (const limit of ['0', '1001', 'x', '1.5']) expect(() => parsePageQuery({ limit }, LIST), limit).toThrow(expect.objectContaining({ status: 400, field: 'limit' }) as ApiError);
  });

  it('refuses a cursor it did not issue, naming the field', () => {
    for (const cursor of ['a b', 'A', '', Buffer.from('bravo').toString('base64url')]) expect(() => parsePageQuery({ cursor }, LIST), cursor).toThrow(expect.objectContaining({ status: 400, field: 'cursor' }) as ApiError);
  });

  it('refuses the cursor of another list, naming the field and both lists', () => {
    expect(() => parsePageQuery({ cursor: encodeCursor('GET /devices', 'meter-1') }, 'GET /campaigns')).toThrow(
      expect.objectContaining({ status: 400, field: 'cursor', message: expect.stringContaining('GET /devices') as string }) as ApiError,
    );
  });

  it('orders time-keyed items by time, then id', () => {
    expect([timeOrderedKey(10_000, 'b'), timeOrderedKey(9_999, 'z'), timeOrderedKey(10_000, 'a')].sort()).toEqual([timeOrderedKey(9_999, 'z'), timeOrderedKey(10_000, 'a'), timeOrderedKey(10_000, 'b')]);
  });
});
