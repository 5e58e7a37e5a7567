/**
 * `fota devices ...` commands for the Device Management and Information Reporting interfaces
 * beyond read/write/execute/discover/observe: create, write-instance, delete, write-attributes,
 * the composite operations, cancel-observe, and the telemetry a device reported.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { DeviceRequest, JsonResourceValue } from '../core/devices/DeviceRequest.ts';
import type { TelemetrySample } from '../core/devices/Telemetry.ts';
import type { ApiClient } from './ApiClient.ts';
import { formatTable } from './terminal.ts';

export interface DeviceCommandContext {
  readonly api: () => ApiClient;
  readonly print: (value: unknown, table: () => string) => void;
  readonly setExitCode: (code: number) => void;
}

/** `5700=21.5` -> ["5700", 21.5]: numbers and booleans as JSON, anything else as text. */
export function parseAssignment(text: string): [string, JsonResourceValue] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected path=value, got "${text}"`);
  const raw = text.slice(eq + 1);
  let value: JsonResourceValue = raw;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed === 'number' || typeof parsed === 'boolean') value = parsed;
    else if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { base64?: unknown }).base64 === 'string') value = { base64: (parsed as { base64: string }).base64 };
  } catch {
    // Not JSON: the text itself.
  }
  return [text.slice(0, eq), value];
}

function assignments(list: readonly string[]): Record<string, JsonResourceValue> {
  return Object.fromEntries(list.map(parseAssignment));
}

const number = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
};

/** A request as the terminal shows it: status, code, values (and the format they came in), what did not decode. */
export function describeRequest(request: DeviceRequest): string {
  if (request.status === 'PENDING') return `queued as ${request.requestId}: the device has not answered yet (asleep or offline)`;
  const result = request.result;
  const format = result?.contentFormat === undefined ? '' : ` (content-format ${result.contentFormat})`;
  const lines = [`${request.status} ${result?.code ?? ''}${result?.error === undefined ? '' : ` ${result.error}`}${format}`];
  if (result?.location !== undefined) lines.push(`created ${result.location}`);
  if (result?.values !== undefined && Object.keys(result.values).length > 0) {
    lines.push(formatTable([['path', 'value'], ...Object.entries(result.values).map(([p, v]) => [p, typeof v === 'object' ? `base64:${v.base64}` : String(v)])]));
  }
  for (const [path, undecodable] of Object.entries(result?.errors ?? {})) lines.push(`${path}: ${undecodable.error} (hex ${undecodable.hex})`);
  if (result?.linkFormat !== undefined) lines.push(result.linkFormat);
  return lines.join('\n');
}

export function addDeviceManagementCommands(devices: Command, { api, print, setExitCode }: DeviceCommandContext): void {
  const send = async (endpoint: string, operation: Record<string, unknown>, wait: number): Promise<void> => {
    const request = await api().post<DeviceRequest>(`/devices/${encodeURIComponent(endpoint)}/operations`, { operation, waitSeconds: wait });
    print(request, () => describeRequest(request));
    if (request.status !== 'DONE' && request.status !== 'PENDING') setExitCode(1);
  };
  const withWait = (cmd: Command): Command => cmd.option('--wait <seconds>', 'seconds to wait for the device', number, 10);

  withWait(devices.command('create <endpoint> <objectPath> <values...>'))
    .description('create an object instance, e.g. create meter-1 /3303 5700=21.5 5750=boiler')
    .option('--instance <id>', 'instance id (the device picks one when absent)', number)
    .action((endpoint: string, path: string, values: string[], opts: { wait: number; instance?: number }) =>
      send(endpoint, { kind: 'create', path, values: assignments(values), ...(opts.instance === undefined ? {} : { instanceId: opts.instance }) }, opts.wait));

  withWait(devices.command('write-instance <endpoint> <instancePath> <values...>'))
    .description('write resources of an instance: partial update, or --replace')
    .option('--replace', 'replace the instance (PUT) instead of a partial update (POST)')
    .action((endpoint: string, path: string, values: string[], opts: { wait: number; replace?: boolean }) =>
      send(endpoint, { kind: 'writeInstance', path, values: assignments(values), replace: opts.replace === true }, opts.wait));

  withWait(devices.command('delete <endpoint> <path>'))
    .description('delete an object instance')
    .action((endpoint: string, path: string, opts: { wait: number }) => send(endpoint, { kind: 'delete', path }, opts.wait));

  const attributes = ['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax'] as const;
  const writeAttributes = withWait(devices.command('write-attributes <endpoint> <path>')).description('set notification attributes, e.g. --pmin 10 --pmax 60');
  for (const name of attributes) writeAttributes.option(`--${name} <value>`, `${name} attribute`, number);
  writeAttributes.action((endpoint: string, path: string, opts: Record<string, number> & { wait: number }) => {
    const given = Object.fromEntries(attributes.filter((name) => opts[name] !== undefined).map((name) => [name, opts[name]]));
    if (Object.keys(given).length === 0) throw new InvalidArgumentError(`give at least one of ${attributes.map((a) => `--${a}`).join(', ')}`);
    return send(endpoint, { kind: 'writeAttributes', path, attributes: given }, opts.wait);
  });

  withWait(devices.command('read-composite <endpoint> <paths...>'))
    .description('read several paths in one request (LwM2M 1.1 Read-Composite)')
    .action((endpoint: string, paths: string[], opts: { wait: number }) => send(endpoint, { kind: 'readComposite', paths }, opts.wait));

  withWait(devices.command('write-composite <endpoint> <values...>'))
    .description('write several resources in one request, e.g. /3303/0/5750=boiler /1/0/1=600')
    .action((endpoint: string, values: string[], opts: { wait: number }) => send(endpoint, { kind: 'writeComposite', values: assignments(values) }, opts.wait));

  withWait(devices.command('observe-composite <endpoint> <paths...>'))
    .description('observe several paths as one observation (notifications are stored as telemetry)')
    .action((endpoint: string, paths: string[], opts: { wait: number }) => send(endpoint, { kind: 'observeComposite', paths }, opts.wait));

  withWait(devices.command('cancel-observe <endpoint> <paths...>'))
    .description('cancel an observation (several paths: a composite observation)')
    .option('--composite', 'the observation is a composite one, even with a single path')
    .action((endpoint: string, paths: string[], opts: { wait: number; composite?: boolean }) =>
      send(endpoint, paths.length === 1 && opts.composite !== true ? { kind: 'cancelObservation', path: paths[0] } : { kind: 'cancelObservationComposite', paths }, opts.wait));

  devices
    .command('cancel-request <requestId>')
    .description('cancel an operation the device has not answered yet (refused once it ended)')
    .action(async (requestId: string) => {
      const request = await api().delete<DeviceRequest>(`/requests/${encodeURIComponent(requestId)}`);
      print(request, () => `${request.status} ${request.requestId}`);
    });

  devices
    .command('telemetry <endpoint>')
    .description('values the device reported by Send or in notifications, latest first')
    .option('--limit <n>', 'how many values', number, 20)
    .action(async (endpoint: string, opts: { limit: number }) => {
      const { items } = await api().get<{ items: TelemetrySample[] }>(`/devices/${encodeURIComponent(endpoint)}/telemetry?limit=${opts.limit}`);
      print(items, () =>
        formatTable([
          ['at', 'path', 'value', 'source'],
          ...items.map((s) => [new Date(s.at).toISOString(), s.path, typeof s.value === 'object' ? `base64:${s.value.base64}` : String(s.value), s.source]),
        ]),
      );
    });
}
