/**
 * The planner's compatibility guards, applied to every device a campaign would update whatever
 * its target selector says: the image must be meant for the device's model (/3/0/1) and must not
 * take it to a lower version unless the campaign allows downgrades. A device whose model or
 * version is unknown, or whose version cannot be ordered against the image's, is never updated
 * blindly. Pure.
 */
import type { DeviceRegistration } from '../devices/DeviceRegistration.ts';
import type { FirmwareImage } from '../images/FirmwareImage.ts';
import { orderVersions } from './versions.ts';

/** Why a device the target selected is skipped by the guards (recorded as the SKIPPED job's reason). */
export const CompatibilitySkip = {
  UnknownModel: 'UNKNOWN_MODEL',
  IncompatibleModel: 'INCOMPATIBLE_MODEL',
  UnknownVersion: 'UNKNOWN_VERSION',
  DowngradeNotAllowed: 'DOWNGRADE_NOT_ALLOWED',
  VersionUnordered: 'VERSION_UNORDERED',
} as const;
export type CompatibilitySkip = (typeof CompatibilitySkip)[keyof typeof CompatibilitySkip];

export type GuardedImage = Pick<FirmwareImage, 'version' | 'models' | 'anyModel' | 'versionOrder'>;

export interface GuardOptions {
  /** The campaign's `allowDowngrade`: devices on a higher (or unordered) version are updated too. */
  readonly allowDowngrade?: boolean;
}

export interface GuardedSelection {
  readonly eligible: DeviceRegistration[];
  readonly skipped: { readonly device: DeviceRegistration; readonly reason: CompatibilitySkip }[];
}

/** Why `device` must not get `image`, or undefined when it may. */
export function compatibilitySkip(device: Pick<DeviceRegistration, 'model' | 'firmwareVersion'>, image: GuardedImage, options: GuardOptions = {}): CompatibilitySkip | undefined {
  if (image.anyModel !== true) {
    if (device.model === undefined || device.model === '') return CompatibilitySkip.UnknownModel;
    if (!image.models.includes(device.model)) return CompatibilitySkip.IncompatibleModel;
  }
  if (device.firmwareVersion === undefined || device.firmwareVersion === '') return CompatibilitySkip.UnknownVersion;
  if (options.allowDowngrade === true) return undefined;
  const order = orderVersions(device.firmwareVersion, image.version, image.versionOrder);
  if (order === undefined) return CompatibilitySkip.VersionUnordered;
  return order > 0 ? CompatibilitySkip.DowngradeNotAllowed : undefined;
}

/** Splits the devices a target selected into those the image may go to and those skipped, with why. */
export function guardCompatibility(devices: readonly DeviceRegistration[], image: GuardedImage, options: GuardOptions = {}): GuardedSelection {
  const eligible: DeviceRegistration[] = [];
  const skipped: GuardedSelection['skipped'][number][] = [];
  for (const device of devices) {
    const reason = compatibilitySkip(device, image, options);
    if (reason === undefined) eligible.push(device);
    else skipped.push({ device, reason });
  }
  return { eligible, skipped };
}
