import { describe, expect, it } from 'vitest';
import { compatibilitySkip, guardCompatibility } from '../../../core/campaign/compatibility.ts';
import { compareSemanticVersions, orderVersions } from '../../../core/campaign/versions.ts';
import type { DeviceRegistration } from '../../../core/devices/DeviceRegistration.ts';

const image = { version: '2.1.0', models: ['SM-200'] };

describe('semantic version order', () => {
  it('compares numeric parts numerically', () => {
    expect(compareSemanticVersions('2.10.0', '2.9.1')).toBe(1);
  });

  it('puts a pre-release below its release', () => {
    expect(compareSemanticVersions('2.1.0-rc.1', '2.1.0')).toBe(-1);
  });

  it('orders pre-releases by their identifiers, numeric ones numerically', () => {
    expect(compareSemanticVersions('2.1.0-rc.2', '2.1.0-rc.10')).toBe(-1);
  });

  it('ignores build metadata and a missing patch part', () => {
    expect(compareSemanticVersions('v2.1+build.7', '2.1.0')).toBe(0);
  });

  it('cannot order a version that is not semantic', () => {
    expect(compareSemanticVersions('R12A', '2.1.0')).toBeUndefined();
  });

  it("uses the image's explicit order when it names both versions", () => {
    expect(orderVersions('R12B', 'R12A', ['R11', 'R12A', 'R12B'])).toBe(1);
  });
});

describe('compatibility guards', () => {
  it('skips a device whose model the image does not list', () => {
    expect(compatibilitySkip({ model: 'SM-300', firmwareVersion: '1.0.0' }, image)).toBe('INCOMPATIBLE_MODEL');
  });

  it('updates any model when the image says anyModel', () => {
    expect(compatibilitySkip({ model: 'SM-300', firmwareVersion: '1.0.0' }, { ...image, anyModel: true })).toBeUndefined();
  });

  it('skips a device whose model is unknown', () => {
    expect(compatibilitySkip({ firmwareVersion: '1.0.0' }, image)).toBe('UNKNOWN_MODEL');
  });

  it('skips a device whose version is unknown, even when downgrades are allowed', () => {
    expect(compatibilitySkip({ model: 'SM-200' }, image, { allowDowngrade: true })).toBe('UNKNOWN_VERSION');
  });

  it('refuses a downgrade', () => {
    expect(compatibilitySkip({ model: 'SM-200', firmwareVersion: '3.0.0' }, image)).toBe('DOWNGRADE_NOT_ALLOWED');
  });

  it('allows a downgrade when the campaign asks for it', () => {
    expect(compatibilitySkip({ model: 'SM-200', firmwareVersion: '3.0.0' }, image, { allowDowngrade: true })).toBeUndefined();
  });

  it('refuses a device on the release of a pre-release image', () => {
    expect(compatibilitySkip({ model: 'SM-200', firmwareVersion: '2.1.0' }, { ...image, version: '2.1.0-rc.1' })).toBe('DOWNGRADE_NOT_ALLOWED');
  });

  it('skips a device whose version cannot be ordered against the image', () => {
    expect(compatibilitySkip({ model: 'SM-200', firmwareVersion: 'nightly-42' }, image)).toBe('VERSION_UNORDERED');
  });

  it('updates a device of a listed model on a lower version', () => {
    expect(compatibilitySkip({ model: 'SM-200', firmwareVersion: '2.0.9' }, image)).toBeUndefined();
  });

  it('splits devices into eligible and skipped with the reason of each', () => {
    const device = (endpoint: string, model: string, firmwareVersion: string): DeviceRegistration => ({ endpoint, model, firmwareVersion }) as DeviceRegistration;
    const result = guardCompatibility([device('a', 'SM-200', '1.0.0'), device('b', 'SM-300', '1.0.0')], image);
    expect({ eligible: result.eligible.map((d) => d.endpoint), skipped: result.skipped.map((s) => [s.device.endpoint, s.reason]) }).toEqual({ eligible: ['a'], skipped: [['b', 'INCOMPATIBLE_MODEL']] });
  });
});
