import type { DeviceRegistration } from '../devices/DeviceRegistration.ts';
import type { TargetSelector } from './Campaign.ts';

/** The registered devices a campaign targets, split into those to update and those already current. */
export function selectTargets(
  devices: readonly DeviceRegistration[],
  target: TargetSelector,
  targetVersion: string,
): { eligible: DeviceRegistration[]; alreadyCurrent: DeviceRegistration[] } {
  const endpoints = target.endpoints === undefined ? undefined : new Set(target.endpoints);
  const selected = devices.filter(
    (device) => (target.model === undefined || device.model === target.model) && (endpoints === undefined || endpoints.has(device.endpoint)),
  );
  return {
    eligible: selected.filter((device) => device.firmwareVersion !== targetVersion),
    alreadyCurrent: selected.filter((device) => device.firmwareVersion === targetVersion),
  };
}
