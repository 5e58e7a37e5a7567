/** `fota fleet ...` and `fota groups ...`: the fleet inventory and the device groups. */
import type { Command } from 'commander';
import type { FleetVersionCount } from '../core/fleet/fleetVersions.ts';
import type { ApiClient } from './ApiClient.ts';
import { humanTime } from './humanTime.ts';
import { formatTable } from './terminal.ts';

export interface FleetCommandContext {
  readonly api: () => ApiClient;
  readonly print: (value: unknown, table: () => string) => void;
}

interface FleetAttention {
  readonly offline: readonly { endpoint: string; model: string; version: string; lastSeen: number }[];
  readonly failedLastUpdate: readonly { endpoint: string; campaignId: string; targetVersion: string; reason: string; at: number }[];
}

interface GroupRow {
  readonly group: string;
  readonly devices: number;
  readonly online: number;
}

interface GroupDevices {
  readonly group: string;
  readonly devices: readonly { endpoint: string; model?: string; firmwareVersion?: string; attributes: Readonly<Record<string, string>>; online: boolean }[];
}

export function addFleetCommands(program: Command, { api, print }: FleetCommandContext): void {
  const fleet = program.command('fleet').description('the fleet inventory');
  fleet
    .command('versions')
    .description('devices by model and firmware version, and how many are online')
    .action(async () => {
      const result = await api().get<{ items: FleetVersionCount[] }>('/fleet/versions');
      const total = result.items.reduce((sum, row) => sum + row.devices, 0);
      print(result, () => `${formatTable([['model', 'version', 'devices', 'online'], ...result.items.map((row) => [row.model, row.version, row.devices, row.online])], [1])}\n${total} device(s)`);
    });
  fleet
    .command('attention')
    .description('devices offline and devices whose last update failed')
    .action(async () => {
      const result = await api().get<FleetAttention>('/fleet/attention');
      print(result, () =>
        [
          `offline: ${result.offline.length}`,
          ...(result.offline.length === 0 ? [] : [formatTable([['endpoint', 'model', 'version', 'last seen'], ...result.offline.map((d) => [d.endpoint, d.model, d.version, humanTime(d.lastSeen)])], [1, 2, 3])]),
          `last update failed: ${result.failedLastUpdate.length}`,
          ...(result.failedLastUpdate.length === 0 ? [] : [formatTable([['endpoint', 'campaign', 'version', 'reason', 'at'], ...result.failedLastUpdate.map((d) => [d.endpoint, d.campaignId, d.targetVersion, d.reason, humanTime(d.at)])], [1, 2, 3, 4])]),
        ].join('\n'),
      );
    });

  const groups = program.command('groups').description('device groups (set with fota devices tag --group)');
  groups
    .command('list')
    .description('groups with their device counts')
    .action(async () => {
      const { items } = await api().get<{ items: GroupRow[] }>('/groups');
      print(items, () => (items.length === 0 ? 'no groups: put devices into one with fota devices tag <endpoint>... --group NAME' : formatTable([['group', 'devices', 'online'], ...items.map((g) => [g.group, g.devices, g.online])])));
    });
  groups
    .command('show <name>')
    .description("a group's devices")
    .action(async (name: string) => {
      const group = await api().get<GroupDevices>(`/groups/${encodeURIComponent(name)}`);
      print(group, () =>
        formatTable([
          ['endpoint', 'model', 'firmware', 'online', 'attributes'],
          ...group.devices.map((d) => [d.endpoint, d.model ?? '', d.firmwareVersion ?? '', d.online ? 'yes' : 'no', Object.entries(d.attributes).map(([k, v]) => `${k}=${v}`).join(' ')]),
        ], [1, 2, 3, 4]),
      );
    });
}
