/** Outcome of a parse or decode: a value, or the reason there is none. Never thrown. */
export type Result<T, E extends Error = Error> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: E };

export function ok<T>(data: T): { readonly success: true; readonly data: T } {
  return { success: true, data };
}

export function fail<E extends Error>(error: E): { readonly success: false; readonly error: E } {
  return { success: false, error };
}

/** Exhaustiveness check for `switch` over tagged unions. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
