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
  const range = target.firmwareVersions;
  const selected = devices.filter((device) => {
    if (target.model !== undefined && device.model !== target.model) return false;
    if (target.manufacturer !== undefined && device.manufacturer !== target.manufacturer) return false;
    if (endpoints !== undefined && !endpoints.has(device.endpoint)) return false;
    if (groups !== undefined && !(device.groups ?? []).some((group) => groups.has(group))) return false;
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
