import { fail, ok, type Result } from '../result.ts';
import { InvalidPathError } from './errors.ts';

export type LwM2mPathLevel = 'root' | 'object' | 'instance' | 'resource' | 'resourceInstance';

/** Largest id a path segment may carry (16-bit identifiers, LwM2M TS 1.1 §7.1). */
export const MAX_ID = 65535;
const MAX_DEPTH = 4;
const LEVELS: readonly LwM2mPathLevel[] = ['root', 'object', 'instance', 'resource', 'resourceInstance'];

function isId(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_ID;
}

/**
 * An immutable LwM2M path `/object/instance/resource/resource-instance` (LwM2M TS 1.1 §6.1).
 * Each level requires the one above it; the root path has no ids at all.
 */
export class LwM2mPath {
  readonly objectId: number | undefined;
  readonly instanceId: number | undefined;
  readonly resourceId: number | undefined;
  readonly resourceInstanceId: number | undefined;
  readonly level: LwM2mPathLevel;
  private readonly ids: readonly number[];

  private constructor(ids: readonly number[]) {
    this.ids = ids;
    this.objectId = ids[0];
    this.instanceId = ids[1];
    this.resourceId = ids[2];
    this.resourceInstanceId = ids[3];
    this.level = LEVELS[ids.length] ?? 'resourceInstance';
    Object.freeze(this);
  }

  private static readonly ROOT = new LwM2mPath([]);

  /** The root path `/` (target of Register's `</>` link and of Read-Composite). */
  static root(): LwM2mPath {
    return LwM2mPath.ROOT;
  }

  /**
   * Parses `/3/0/1` or `3/0/1`. Rejects the root `/` (use `root()`), empty segments,
   * non-decimal text, ids above 65535 and more than four levels.
   */
  static parse(text: string): Result<LwM2mPath, InvalidPathError> {
    const body = text.startsWith('/') ? text.slice(1) : text;
    if (body.length === 0) return fail(new InvalidPathError(`path "${text}" has no object id`));
    const segments = body.split('/');
    if (segments.length > MAX_DEPTH) {
      return fail(new InvalidPathError(`path "${text}" is deeper than ${MAX_DEPTH} levels`));
    }
    const ids: number[] = [];
    for (const segment of segments) {
      // Bound the length before converting so "0000...1" cannot smuggle in a huge number.
      if (!/^\d{1,5}$/.test(segment)) {
        return fail(new InvalidPathError(`path "${text}" has an invalid segment "${segment}"`));
      }
      const id = Number(segment);
      if (id > MAX_ID) return fail(new InvalidPathError(`path "${text}" has id ${id} above ${MAX_ID}`));
      ids.push(id);
    }
    return ok(new LwM2mPath(ids));
  }

  /**
   * Builds a path from ids, for constants and code that already holds numbers.
   * @throws InvalidPathError when an id is out of range or a level is skipped (a programming error).
   */
  static of(objectId: number, instanceId?: number, resourceId?: number, resourceInstanceId?: number): LwM2mPath {
    const given = [objectId, instanceId, resourceId, resourceInstanceId];
    const ids: number[] = [];
    for (const [index, id] of given.entries()) {
      if (id === undefined) {
        if (given.slice(index).some((later) => later !== undefined)) {
          throw new InvalidPathError(`path ids ${JSON.stringify(given)} skip a level`);
        }
        break;
      }
      if (!isId(id)) throw new InvalidPathError(`path id ${id} is not an integer in 0..${MAX_ID}`);
      ids.push(id);
    }
    return new LwM2mPath(ids);
  }

  /** Number of ids: 0 for root, 4 for a resource instance. */
  get depth(): number {
    return this.ids.length;
  }

  /** True when this path is `other` or an ancestor of it; the root is a prefix of every path. */
  isPrefixOf(other: LwM2mPath): boolean {
    if (this.ids.length > other.ids.length) return false;
    return this.ids.every((id, index) => other.ids[index] === id);
  }

  equals(other: LwM2mPath): boolean {
    return this.ids.length === other.ids.length && this.isPrefixOf(other);
  }

  /**
   * The path one level deeper, e.g. `/3/0` + 1 -> `/3/0/1`.
   * @throws InvalidPathError on a resource-instance path or an id out of range.
   */
  append(id: number): LwM2mPath {
    if (this.ids.length >= MAX_DEPTH) throw new InvalidPathError(`cannot append to resource instance path ${this.toString()}`);
    if (!isId(id)) throw new InvalidPathError(`path id ${id} is not an integer in 0..${MAX_ID}`);
    return new LwM2mPath([...this.ids, id]);
  }

  /** The path one level up; the root's parent is the root. */
  parent(): LwM2mPath {
    return this.ids.length === 0 ? this : new LwM2mPath(this.ids.slice(0, -1));
  }

  /** `/3/0/1`, or `/` for the root. */
  toString(): string {
    return `/${this.ids.join('/')}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
