/** `fota devices tag|untag|history`: groups and attributes of devices, and a device's firmware history. */
import { InvalidArgumentError, type Command } from 'commander';
import type { FirmwareHistory } from '../core/fleet/firmwareHistory.ts';
import type { ApiClient } from './ApiClient.ts';
import { parseAttribute } from './campaignDefinition.ts';
import { humanTime } from './humanTime.ts';
import { formatTable } from './terminal.ts';

export interface TagCommandContext {
  readonly api: () => ApiClient;
  readonly print: (value: unknown, table: () => string) => void;
}

interface TaggedDevice {
  readonly endpoint: string;
  readonly groups: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const taggedTable = (items: readonly TaggedDevice[]): string =>
  formatTable([['endpoint', 'groups', 'attributes'], ...items.map((d) => [d.endpoint, d.groups.join(','), Object.entries(d.attributes).map(([k, v]) => `${k}=${v}`).join(' ')])], [1, 2]);

export function addTagCommands(devices: Command, { api, print }: TagCommandContext): void {
  devices
    .command('tag <endpoints...>')
    .description('put devices into a group and/or set attributes on them (refused, changing nothing, if an endpoint is unknown)')
    .option('--group <name>', 'group to put the devices in (repeatable)', collect, [])
    .option('--attribute <key=value>', 'attribute to set (repeatable)', collect, [])
    .action(async (endpoints: string[], opts: { group: string[]; attribute: string[] }) => {
      if (opts.group.length === 0 && opts.attribute.length === 0) throw new InvalidArgumentError('give --group NAME and/or --attribute key=value');
      const body = {
        endpoints,
        ...(opts.group.length === 0 ? {} : { groups: opts.group }),
        ...(opts.attribute.length === 0 ? {} : { attributes: Object.fromEntries(opts.attribute.map(parseAttribute)) }),
      };
      const { items } = await api().post<{ items: TaggedDevice[] }>('/devices/tags', body);
      print(items, () => taggedTable(items));
    });
  devices
    .command('untag <endpoints...>')
    .description('take devices out of a group and/or remove attributes by name')
    .option('--group <name>', 'group to take the devices out of (repeatable)', collect, [])
    .option('--attribute <key>', 'attribute to remove (repeatable)', collect, [])
    .action(async (endpoints: string[], opts: { group: string[]; attribute: string[] }) => {
      if (opts.group.length === 0 && opts.attribute.length === 0) throw new InvalidArgumentError('give --group NAME and/or --attribute KEY');
      const body = { endpoints, ...(opts.group.length === 0 ? {} : { groups: opts.group }), ...(opts.attribute.length === 0 ? {} : { attributes: opts.attribute }) };
      const { items } = await api().post<{ items: TaggedDevice[] }>('/devices/untag', body);
      print(items, () => taggedTable(items));
    });
  devices
    .command('history <endpoint>')
    .description("a device's firmware history: versions over time and the campaigns that targeted it")
    .action(async (endpoint: string) => {
      const history = await api().get<FirmwareHistory>(`/devices/${encodeURIComponent(endpoint)}/history`);
      print(history, () =>
        [
          `${history.endpoint}: running ${history.currentVersion ?? '(unknown)'}${history.lastUpdateFailed === undefined ? '' : `; last update FAILED (${history.lastUpdateFailed.reason ?? 'UNKNOWN'}, campaign ${history.lastUpdateFailed.campaignId})`}`,
          formatTable([['version', 'since', 'installed by'], ...history.versions.map((v) => [v.version, humanTime(v.since), v.campaignId ?? '(found at registration)'])], [1, 2]),
          history.updates.length === 0
            ? 'no campaign has targeted it'
            : formatTable([['campaign', 'version', 'status', 'reason', 'at'], ...history.updates.map((u) => [u.campaignId, u.targetVersion, u.status, u.reason ?? '', humanTime(u.at)])], [1, 2, 3, 4]),
        ].join('\n'),
      );
    });
}
