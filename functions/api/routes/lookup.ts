import { ApiError } from '../http.ts';

/** The found item, or a 404 naming what was not found. */
export async function mustFind<T>(lookup: Promise<T | undefined>, what: string): Promise<T> {
  const found = await lookup;
  if (found === undefined) throw new ApiError(404, 'NOT_FOUND', `${what} does not exist`);
  return found;
}
