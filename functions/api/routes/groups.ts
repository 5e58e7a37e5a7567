/** Device groups and attributes: tag and untag devices in bulk, list groups, show a group's devices. */
import { isRegistrationAlive } from '../../../core/devices/DeviceRegistration.ts';
import { TagRequestSchema, UntagRequestSchema, validate } from '../schemas.ts';
import { ApiError, parseJsonBody } from '../http.ts';
import { changeDeviceTags } from '../tagDevices.ts';
import { ok, type Route } from './types.ts';

export const groupRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: '/devices/tags',
    summary: 'Put devices into groups and set attributes on them (400 UNKNOWN_DEVICES naming any endpoint the registry does not know: nothing changes)',
    body: TagRequestSchema,
    handle: async ({ stores }, _params, request) => {
      const input = validate(TagRequestSchema, parseJsonBody(request.body));
      const items = await changeDeviceTags(stores, input.endpoints, {
        ...(input.groups === undefined ? {} : { addGroups: input.groups }),
        ...(input.attributes === undefined ? {} : { setAttributes: input.attributes }),
      });
      return ok({ items });
    },
  },
  {
    method: 'POST',
    path: '/devices/untag',
    summary: 'Take devices out of groups and remove attributes by name (400 UNKNOWN_DEVICES as for tags)',
    body: UntagRequestSchema,
    handle: async ({ stores }, _params, request) => {
      const input = validate(UntagRequestSchema, parseJsonBody(request.body));
      const items = await changeDeviceTags(stores, input.endpoints, {
        ...(input.groups === undefined ? {} : { removeGroups: input.groups }),
        ...(input.attributes === undefined ? {} : { removeAttributes: input.attributes }),
      });
      return ok({ items });
    },
  },
  {
    method: 'GET',
    path: '/groups',
    summary: 'Device groups with how many devices each has and how many are online',
    handle: async ({ stores, clock }) => {
      const now = (clock ?? Date.now)();
      const groups = new Map<string, { group: string; devices: number; online: number }>();
      for (const device of await stores.registrations.list()) {
        for (const group of device.groups ?? []) {
          let row = groups.get(group);
          if (row === undefined) groups.set(group, (row = { group, devices: 0, online: 0 }));
          row.devices++;
          if (isRegistrationAlive(device, now)) row.online++;
        }
      }
      return ok({ items: [...groups.values()] });
    },
  },
  {
    method: 'GET',
    path: '/groups/{group}',
    summary: 'The devices of a group (404 for a group no device is in)',
    handle: async ({ stores, clock }, { group = '' }) => {
      const now = (clock ?? Date.now)();
      const members = (await stores.registrations.list()).filter((device) => device.groups?.includes(group) === true);
      if (members.length === 0) throw new ApiError(404, 'NOT_FOUND', `no device is in group ${group}`);
      const devices = members
        .map((device) => ({ endpoint: device.endpoint, model: device.model, firmwareVersion: device.firmwareVersion, attributes: device.attributes ?? {}, online: isRegistrationAlive(device, now) }))
        .sort((a, b) => a.endpoint.localeCompare(b.endpoint));
      return ok({ group, devices });
    },
  },
];
