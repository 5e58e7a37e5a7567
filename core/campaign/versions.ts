/**
 * Firmware version order. Versions compare as semantic versions (semver.org §11: numeric parts
 * numerically, a pre-release below its release, build metadata ignored), with any number of
 * numeric parts ("2.1" = "2.1.0") and an optional leading "v". An image may instead declare an
 * explicit order of its firmware line (`versionOrder`, oldest first) for version names that are
 * not semantic ("R12A" < "R12B"); it decides whenever it names both versions.
 */
interface ParsedVersion {
  readonly core: readonly number[];
  readonly preRelease: readonly string[];
}

const SEMVER = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export function parseVersion(text: string): ParsedVersion | undefined {
  const match = SEMVER.exec(text.trim());
  if (match === null) return undefined;
  return { core: (match[1] ?? '').split('.').map(Number), preRelease: match[2] === undefined ? [] : match[2].split('.') };
}

/** -1, 0 or 1 as `a` is lower, equal or higher than `b`; undefined when either is not a semantic version. */
export function compareSemanticVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (x === undefined || y === undefined) return undefined;
  for (let i = 0; i < Math.max(x.core.length, y.core.length); i++) {
    const diff = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  // A version with a pre-release is lower than the same version without one.
  if (x.preRelease.length === 0 || y.preRelease.length === 0) return x.preRelease.length === y.preRelease.length ? 0 : x.preRelease.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(x.preRelease.length, y.preRelease.length); i++) {
    const p = x.preRelease[i];
    const q = y.preRelease[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const order = comparePreReleaseIdentifier(p, q);
    if (order !== 0) return order;
  }
  return 0;
}

function comparePreReleaseIdentifier(p: string, q: string): -1 | 0 | 1 {
  const numeric = /^\d+$/;
  if (numeric.test(p) && numeric.test(q)) return Math.sign(Number(p) - Number(q)) as -1 | 0 | 1;
  if (numeric.test(p)) return -1; // numeric identifiers have lower precedence (semver §11.4.3)
  if (numeric.test(q)) return 1;
  return p < q ? -1 : p > q ? 1 : 0;
}

/**
 * Orders a device's version against an image's: the image's explicit order when it names both,
 * else semantic versions; undefined when neither can order them (the planner then refuses to guess).
 */
export function orderVersions(deviceVersion: string, imageVersion: string, explicitOrder?: readonly string[]): -1 | 0 | 1 | undefined {
  if (deviceVersion === imageVersion) return 0;
  if (explicitOrder !== undefined) {
    const d = explicitOrder.indexOf(deviceVersion);
    const i = explicitOrder.indexOf(imageVersion);
    if (d >= 0 && i >= 0) return Math.sign(d - i) as -1 | 0 | 1;
  }
  return compareSemanticVersions(deviceVersion, imageVersion);
}
