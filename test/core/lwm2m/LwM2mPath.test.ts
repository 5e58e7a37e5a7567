import { describe, expect, it } from 'vitest';
import { InvalidPathError } from '../../../core/lwm2m/errors.ts';
import { LwM2mPath } from '../../../core/lwm2m/LwM2mPath.ts';

function parsed(text: string): LwM2mPath {
  const result = LwM2mPath.parse(text);
  if (!result.success) throw result.error;
  return result.data;
}

describe('LwM2mPath.parse', () => {
  it('reads a resource path with a leading slash', () => {
    // Act
    const path = parsed('/3/0/1');

    // Assess
    expect([path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId]).toEqual([3, 0, 1, undefined]);
    expect(path.level).toBe('resource');
  });

  it('reads a path without a leading slash', () => {
    expect(parsed('3/0/1').toString()).toBe('/3/0/1');
  });

  it('reads every level down to a resource instance', () => {
    expect(parsed('/3').level).toBe('object');
    expect(parsed('/3/0').level).toBe('instance');
    expect(parsed('/3/0/6/7').level).toBe('resourceInstance');
    expect(parsed('/3/0/6/7').resourceInstanceId).toBe(7);
  });

  it('accepts the largest 16-bit id', () => {
    expect(parsed('/65535/65535/65535/65535').toString()).toBe('/65535/65535/65535/65535');
  });

  it.each(['/', '', '/3/65536', '/3/0/x', '/3/-1', '/3//0', '/3/0/', '/1.5', '/3/0/1/2/3', '/0x10', ' /3', '/000000001'])(
    'rejects "%s" with an InvalidPathError',
    (text) => {
      // Act
      const result = LwM2mPath.parse(text);

      // Assess
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error).toBeInstanceOf(InvalidPathError);
    },
  );

  it('names the offending segment in the error', () => {
    const result = LwM2mPath.parse('/3/abc');
    expect(result.success ? '' : result.error.message).toContain('"abc"');
  });
});

describe('LwM2mPath values', () => {
  it('builds paths from ids with of()', () => {
    expect(LwM2mPath.of(5, 0, 3).toString()).toBe('/5/0/3');
    expect(LwM2mPath.of(5).level).toBe('object');
  });

  it('throws on out-of-range ids in of(), a programming error', () => {
    expect(() => LwM2mPath.of(70000)).toThrow(InvalidPathError);
    expect(() => LwM2mPath.of(3, -1)).toThrow(InvalidPathError);
  });

  it('throws when of() skips a level', () => {
    expect(() => LwM2mPath.of(3, undefined, 1)).toThrow(InvalidPathError);
  });

  it('represents the root as "/" with no object id', () => {
    const root = LwM2mPath.root();
    expect(root.toString()).toBe('/');
    expect(root.level).toBe('root');
    expect(root.objectId).toBeUndefined();
  });

  it('treats the root and ancestors as prefixes, including the path itself', () => {
    const resource = LwM2mPath.of(3, 0, 1);
    expect(LwM2mPath.root().isPrefixOf(resource)).toBe(true);
    expect(LwM2mPath.of(3).isPrefixOf(resource)).toBe(true);
    expect(resource.isPrefixOf(resource)).toBe(true);
    expect(LwM2mPath.of(3, 1).isPrefixOf(resource)).toBe(false);
    expect(resource.isPrefixOf(LwM2mPath.of(3, 0))).toBe(false);
  });

  it('compares by ids, not identity', () => {
    expect(parsed('/3/0').equals(LwM2mPath.of(3, 0))).toBe(true);
    expect(parsed('/3/0').equals(LwM2mPath.of(3, 0, 0))).toBe(false);
  });

  it('appends one level and leaves the original untouched', () => {
    // Prepare
    const instance = LwM2mPath.of(3, 0);

    // Act
    const resource = instance.append(13);

    // Assess
    expect(resource.toString()).toBe('/3/0/13');
    expect(instance.toString()).toBe('/3/0');
  });

  it('refuses to append below a resource instance', () => {
    expect(() => LwM2mPath.of(3, 0, 6, 1).append(0)).toThrow(InvalidPathError);
  });

  it('cannot be mutated', () => {
    const path = LwM2mPath.of(3, 0);
    expect(() => {
      (path as unknown as { objectId: number }).objectId = 4;
    }).toThrow(TypeError);
  });

  it('walks up with parent()', () => {
    expect(LwM2mPath.of(3, 0, 6, 1).parent().toString()).toBe('/3/0/6');
    expect(LwM2mPath.root().parent().level).toBe('root');
  });

  it('serialises to its path string in JSON', () => {
    expect(JSON.stringify({ path: LwM2mPath.of(5, 0, 3) })).toBe('{"path":"/5/0/3"}');
  });
});
