/**
 * The fleet inventory: versions by model (with online counts), and the devices that need a look
 * (offline, or whose last update failed). Counted from projected parallel scans of the registry
 * and the jobs (store/DynamoDbFleetInventory.ts): online is a matter of time passing (a
 * registration's lifetime running out writes nothing), so it is counted when asked, not kept.
 */
import { isRegistrationAlive } from '../../../core/devices/DeviceRegistration.ts';
import { countFleetVersions, UNKNOWN_FACT } from '../../../core/fleet/fleetVersions.ts';
import { failedLastUpdates } from '../../../core/fleet/lastUpdates.ts';
import { ok, type Route } from './types.ts';

export const fleetRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/fleet/versions',
    summary: 'Devices by model and firmware version: { items: [{ model, version, devices, online }] }',
    handle: async ({ stores, clock }) => ok({ items: countFleetVersions(await stores.fleet.listDeviceFacts(), (clock ?? Date.now)()) }),
  },
  {
    method: 'GET',
    path: '/fleet/attention',
    summary: 'Devices that need a look: offline (registration lifetime passed) and those whose last finished update failed',
    handle: async ({ stores, clock }) => {
      const now = (clock ?? Date.now)();
      const [devices, jobs] = await Promise.all([stores.fleet.listDeviceFacts(), stores.fleet.listJobOutcomes()]);
      const offline = devices
        .filter((device) => !isRegistrationAlive(device, now))
        .map((device) => ({ endpoint: device.endpoint, model: device.model ?? UNKNOWN_FACT, version: device.firmwareVersion ?? UNKNOWN_FACT, lastSeen: device.lastSeen }))
        .sort((a, b) => a.endpoint.localeCompare(b.endpoint));
      const failedLastUpdate = failedLastUpdates(jobs).map((job) => ({ endpoint: job.endpoint, campaignId: job.campaignId, targetVersion: job.targetVersion, reason: job.reason ?? 'UNKNOWN', at: job.updatedAt }));
      return ok({ offline, failedLastUpdate });
    },
  },
];
