/**
 * `npm start -- --serve --devices N`: simulated devices attached to the stack a release manager
 * drives with the `fota` CLI. A mix of models and firmware versions (so guards and targets have
 * something to tell apart), kept registered by periodic Updates, and a demo image they all accept,
 * stored and verified like any upload.
 */
import { Fleet } from '../sim/Fleet.ts';
import { FirmwareUpdateResult } from '../core/lwm2m/firmwareUpdate.ts';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';
import type { FirmwareImage } from '../core/images/FirmwareImage.ts';
import type { LocalStack } from './LocalStack.ts';

/** The models and versions of the attached fleet, assigned round-robin by device index. */
export const SERVE_FLEET_MODELS = ['SM-200', 'SM-300'] as const;
export const SERVE_FLEET_VERSIONS = ['2.0.0', '2.0.5'] as const;
/** The version of the demo image: above every version of the attached fleet. */
export const SERVE_DEMO_IMAGE_VERSION = '2.1.0';

const LIFETIME_SECONDS = 300;

export interface ServeFleetOptions {
  readonly devices: number;
  readonly imageBytes: number;
  readonly blockSize: number;
  /** The last this many devices fail every update (Update Result 8, UPDATE_FAILED), to try relaunch and abort rules. @default 0 */
  readonly failingDevices?: number;
}

export interface AttachedFleet {
  readonly fleet: Fleet;
  readonly image: FirmwareImage;
  /** Endpoint, model and firmware version of each device, as it registered. */
  readonly inventory: readonly { readonly endpoint: string; readonly model: string; readonly firmwareVersion: string; readonly failsUpdates: boolean }[];
  stop(): Promise<void>;
}

export function serveFleetDevice(index: number): { model: string; firmwareVersion: string } {
  return {
    model: SERVE_FLEET_MODELS[index % SERVE_FLEET_MODELS.length] ?? 'SM-200',
    firmwareVersion: SERVE_FLEET_VERSIONS[Math.floor(index / SERVE_FLEET_MODELS.length) % SERVE_FLEET_VERSIONS.length] ?? '2.0.0',
  };
}

export async function attachServeFleet(stack: LocalStack, options: ServeFleetOptions, onProgress?: (registered: number, total: number) => void): Promise<AttachedFleet> {
  const fleet = new Fleet({
    size: options.devices,
    serverPort: stack.edge.address.port,
    deviceOptions: (i) => ({
      ...serveFleetDevice(i),
      blockSize: options.blockSize,
      lifetimeSeconds: LIFETIME_SECONDS,
      ...(i >= options.devices - (options.failingDevices ?? 0) ? { updateFailure: FirmwareUpdateResult.UpdateFailed } : {}),
    }),
    ...(onProgress === undefined ? {} : { onProgress }),
  });
  await fleet.start();
  // LwM2M clients send an Update well before their lifetime ends (Core TS 1.1 §6.2.2); the
  // simulated devices do it on request, so the attached fleet asks every half lifetime. A device
  // whose registration expired anyway gets 4.04 and registers again.
  const keepAlive = setInterval(() => {
    for (const device of fleet.devices) device.update().catch(() => undefined);
  }, (LIFETIME_SECONDS / 2) * 1000).unref();
  const image = await stack.stores.images.store(
    { version: SERVE_DEMO_IMAGE_VERSION, models: [...SERVE_FLEET_MODELS], notes: 'demo image for the simulated devices of npm start -- --serve --devices' },
    buildFirmwarePackage(SERVE_DEMO_IMAGE_VERSION, options.imageBytes),
  );
  return {
    fleet,
    image,
    inventory: fleet.devices.map((device, i) => ({ endpoint: device.endpoint, ...serveFleetDevice(i), failsUpdates: i >= options.devices - (options.failingDevices ?? 0) })),
    async stop(): Promise<void> {
      clearInterval(keepAlive);
      await fleet.stop();
    },
  };
}
