import type { DeviceRegistration } from '../devices/DeviceRegistration.ts';
import type { TargetSelector } from './Campaign.ts';
import { compareVersions } from './rollout.ts';

export interface TargetSelection {
  readonly eligible: DeviceRegistration[];
  readonly alreadyCurrent: DeviceRegistration[];
  /** Selected but not on a version the image can be installed over. */
  readonly incompatible: DeviceRegistration[];
}

/**
 * The registered devices a campaign targets, split into those to update, those already on the
 * target version and those the image is not compatible with.
 */
export function selectTargets(
  devices: readonly DeviceRegistration[],
  target: TargetSelector,
  targetVersion: string,
  compatibleFrom?: readonly string[],
): TargetSelection {
  const endpoints = target.endpoints === undefined ? undefined : new Set(target.endpoints);
  const groups = target.groups === undefined ? undefined : new Set(target.groups);
  const attributes = Object.entries(target.attributes ?? {});
  const range = target.firmwareVersions;
  const selected = devices.filter((device) => {
    if (target.model !== undefined && device.model !== target.model) return false;
    if (target.manufacturer !== undefined && device.manufacturer !== target.manufacturer) return false;
    if (endpoints !== undefined && !endpoints.has(device.endpoint)) return false;
    if (groups !== undefined && !(device.groups ?? []).some((group) => groups.has(group))) return false;
    if (attributes.some(([key, value]) => device.attributes?.[key] !== value)) return false;
    if (range !== undefined) {
      if (device.firmwareVersion === undefined) return false;
      if (range.min !== undefined && compareVersions(device.firmwareVersion, range.min) < 0) return false;
      if (range.max !== undefined && compareVersions(device.firmwareVersion, range.max) > 0) return false;
    }
    return true;
  });
  const alreadyCurrent = selected.filter((device) => device.firmwareVersion === targetVersion);
  const rest = selected.filter((device) => device.firmwareVersion !== targetVersion);
  const compatible = (device: DeviceRegistration): boolean =>
    compatibleFrom === undefined || compatibleFrom.length === 0 || (device.firmwareVersion !== undefined && compatibleFrom.includes(device.firmwareVersion));
  return { eligible: rest.filter(compatible), alreadyCurrent, incompatible: rest.filter((device) => !compatible(device)) };
}

/** What a target names that the registry does not have: what a dry run reports beside the match. */
export interface UnmatchedTarget {
  /** Endpoints the target lists that are not registered. */
  readonly unknownEndpoints: readonly string[];
  /** Groups the target lists that no registered device is in. */
  readonly emptyGroups: readonly string[];
}

export function unmatchedTarget(devices: readonly DeviceRegistration[], target: TargetSelector): UnmatchedTarget {
  const known = new Set(devices.map((device) => device.endpoint));
  const used = new Set(devices.flatMap((device) => device.groups ?? []));
  return {
    unknownEndpoints: (target.endpoints ?? []).filter((endpoint) => !known.has(endpoint)).sort(),
    emptyGroups: (target.groups ?? []).filter((group) => !used.has(group)).sort(),
  };
}
