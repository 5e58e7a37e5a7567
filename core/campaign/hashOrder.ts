/** FNV-1a 32-bit: a cheap, stable, well-spread hash of a string. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The endpoints in a stable pseudo-random order (by hash, ties by name). */
export function createHashOrder(endpoints: readonly string[]): string[] {
  return [...new Set(endpoints)]
    .map((endpoint) => ({ endpoint, hash: fnv1a(endpoint) }))
    .sort((a, b) => a.hash - b.hash || (a.endpoint < b.endpoint ? -1 : 1))
    .map((entry) => entry.endpoint);
}
