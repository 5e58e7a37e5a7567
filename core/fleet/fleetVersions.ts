/**
 * The fleet inventory: how many devices run each firmware version of each model, and how many of
 * them are online. Pure: the API feeds it the registry's device facts (functions/api/routes/fleet.ts).
 */
import { isRegistrationAlive } from '../devices/DeviceRegistration.ts';

/** What the count needs of a device (the registry scan projects just these). */
export interface DeviceFacts {
  readonly endpoint: string;
  readonly model?: string;
  readonly firmwareVersion?: string;
  readonly lastSeen: number;
  readonly lifetimeSeconds: number;
}

/** Shown for a model or version the edge has not read from the device (yet). */
export const UNKNOWN_FACT = '(unknown)';

export interface FleetVersionCount {
  readonly model: string;
  readonly version: string;
  readonly devices: number;
  readonly online: number;
}

/** One row per (model, version), sorted by model then version; every device counted once. */
export function countFleetVersions(devices: Iterable<DeviceFacts>, now: number): FleetVersionCount[] {
  const counts = new Map<string, { model: string; version: string; devices: number; online: number }>();
  for (const device of devices) {
    const model = device.model ?? UNKNOWN_FACT;
    const version = device.firmwareVersion ?? UNKNOWN_FACT;
    const key = `${model}\u0000${version}`;
    let row = counts.get(key);
    if (row === undefined) counts.set(key, (row = { model, version, devices: 0, online: 0 }));
    row.devices++;
    if (isRegistrationAlive(device, now)) row.online++;
  }
  return [...counts.values()].sort((a, b) => a.model.localeCompare(b.model) || a.version.localeCompare(b.version, 'en', { numeric: true }));
}
