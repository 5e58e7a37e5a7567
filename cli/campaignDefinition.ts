/**
 * A campaign definition from the command line: a JSON or YAML file (`--file`), then flags, which
 * override the file field by field. The API validates the result; nothing is checked twice here.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';

export interface CampaignFlags {
  readonly file?: string;
  readonly name?: string;
  readonly image?: string;
  readonly model?: string;
  readonly manufacturer?: string;
  readonly groups?: string[];
  readonly attribute?: string[];
  readonly endpoints?: string[];
  readonly firmwareMin?: string;
  readonly firmwareMax?: string;
  readonly canary?: number;
  readonly cohorts?: number[];
  readonly rate?: number;
  readonly ramp?: number;
  readonly maxRate?: number;
  readonly approval?: boolean;
  readonly allowDowngrade?: boolean;
  readonly pollSeconds?: number;
  readonly downloadTimeout?: number;
  readonly installTimeout?: number;
  readonly abortFailurePercent?: number;
  readonly successThreshold?: number;
  readonly downloadWindow?: { start: string; end: string };
  readonly installWindow?: { start: string; end: string };
  readonly timeZone?: string;
  readonly startAt?: string;
  readonly canaryEndpoints?: string[];
  readonly approvers?: number;
  readonly dynamic?: boolean;
  readonly endAt?: string;
}

/** A finite number from a flag's text (commander's `Number` would let "abc" through as NaN). */
export const number = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
};
const list = (value: string): string[] => value.split(',').map((item) => item.trim()).filter(Boolean);
const percentages = (value: string): number[] => {
  const parsed = list(value).map(Number);
  if (parsed.length === 0 || parsed.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError('expected cumulative percentages, e.g. 10,50,100');
  return parsed;
};
const window = (value: string): { start: string; end: string } => {
  const match = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(value);
  if (match === null) throw new InvalidArgumentError('expected HH:MM-HH:MM, e.g. 01:00-05:00');
  return { start: match[1] ?? '', end: match[2] ?? '' };
};

/** The flags that describe a campaign, shared by `campaigns create` and `campaigns dry-run`. */
export function withCampaignFlags(command: Command): Command {
  return command
    .option('--file <file>', 'campaign definition as JSON or YAML (flags override its fields)')
    .option('--name <name>', 'campaign name')
    .option('--image <imageId>', 'image to roll out')
    .option('--model <model>', 'target devices of this model')
    .option('--manufacturer <name>', 'target devices of this manufacturer')
    .option('--groups <list>', 'target devices in any of these groups (comma-separated)', list)
    .option('--attribute <key=value>', 'target devices with this attribute (repeatable: all must match)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--endpoints <list>', 'target these endpoints (comma-separated)', list)
    .option('--firmware-min <version>', 'target devices on this firmware version or later')
    .option('--firmware-max <version>', 'target devices on this firmware version or earlier')
    .option('--canary <devices>', 'a first cohort of this many devices', number)
    .option('--cohorts <list>', 'cumulative cohort percentages, e.g. 10,50,100 (default 100)', percentages)
    .option('--rate <devicesPerMinute>', 'release at most this many devices per minute', number)
    .option('--ramp <factor>', 'multiply the rate by this factor every minute', number)
    .option('--max-rate <devicesPerMinute>', 'cap of the ramped rate', number)
    .option('--approval', 'wait for an operator to approve each next cohort')
    .option('--allow-downgrade', 'also update devices on a higher (or unordered) version than the image (kept in the audit trail)')
    .option('--poll-seconds <n>', 'seconds between progress checks', number)
    .option('--download-timeout <seconds>', 'fail a device whose download takes longer', number)
    .option('--install-timeout <seconds>', 'fail a device whose install takes longer', number)
    .option('--abort-failure-percent <n>', 'abort when more than this share of a cohort failed', number)
    .option('--success-threshold <percent>', 'a cohort passes only when this share succeeded', number)
    .option('--download-window <HH:MM-HH:MM>', 'download only in this daily window, device local time', window)
    .option('--install-window <HH:MM-HH:MM>', 'install only in this daily window, device local time', window)
    .option('--time-zone <iana>', 'time zone of windows for devices whose zone is unknown')
    .option('--start-at <time>', 'start no earlier than this ISO 8601 time with its offset (e.g. 2026-12-24T22:00:00Z); the campaign waits CREATED until then')
    .option('--canary-endpoints <list>', 'these endpoints form the first cohort (comma-separated)', list)
    .option('--approvers <n>', '2: the creator may not approve the campaign (four eyes)', number)
    .option('--dynamic', 'devices that register or come to match later join the last cohort, until --end-at')
    .option('--end-at <time>', 'when a dynamic campaign stops taking devices in (ISO 8601 with offset, at most 7 days after the start)');
}

/** Reads a definition file: JSON, or YAML (which JSON also is, but JSON errors read better). */
export async function readDefinitionFile(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new InvalidArgumentError(`--file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError(`--file ${file}: expected an object with name, imageId, target...`);
  return parsed as Record<string, unknown>;
}

/** The definition to send: the file's fields, each overridden by the flags given. */
export async function campaignDefinition(flags: CampaignFlags): Promise<Record<string, unknown>> {
  const base = flags.file === undefined ? {} : await readDefinitionFile(flags.file);
  refuseDanglingFlags(flags, base);
  const defined = <T>(key: string, value: T | undefined): Record<string, T> => (value === undefined ? {} : { [key]: value });
  const firmwareVersions = { ...defined('min', flags.firmwareMin), ...defined('max', flags.firmwareMax) };
  const target = {
    ...((base['target'] as Record<string, unknown> | undefined) ?? {}),
    ...defined('model', flags.model),
    ...defined('manufacturer', flags.manufacturer),
    ...defined('groups', flags.groups),
    ...(flags.attribute === undefined ? {} : { attributes: Object.fromEntries(flags.attribute.map(parseAttribute)) }),
    ...defined('endpoints', flags.endpoints),
    ...(Object.keys(firmwareVersions).length === 0 ? {} : { firmwareVersions }),
  };
  const cohorts =
    flags.canary === undefined
      ? undefined
      : [{ count: flags.canary }, ...(flags.cohorts ?? [100]).map((percent) => ({ percent }))];
  const rateFlags = { ...defined('devicesPerMinute', flags.rate), ...defined('rampFactor', flags.ramp), ...defined('maxDevicesPerMinute', flags.maxRate) };
  const rate = Object.keys(rateFlags).length === 0 ? undefined : { ...((base['rate'] as Record<string, unknown> | undefined) ?? {}), ...rateFlags };
  const fileWindow = (key: string) => base[key] as { start: string; end: string } | undefined;
  const timeWindow = (w: { start: string; end: string } | undefined) => (w === undefined ? undefined : { ...w, ...defined('defaultTimeZone', flags.timeZone) });
  return {
    ...base,
    ...defined('name', flags.name),
    ...defined('imageId', flags.image),
    ...(Object.keys(target).length === 0 && base['target'] === undefined ? {} : { target }),
    ...(cohorts === undefined ? defined('cohortPercentages', flags.cohorts) : { cohorts }),
    ...defined('rate', rate),
    ...defined('approvalRequired', flags.approval),
    ...defined('allowDowngrade', flags.allowDowngrade),
    ...defined('pollSeconds', flags.pollSeconds),
    ...defined('downloadTimeoutSeconds', flags.downloadTimeout),
    ...defined('installTimeoutSeconds', flags.installTimeout),
    ...defined('abortFailurePercent', flags.abortFailurePercent),
    ...defined('successThresholdPercent', flags.successThreshold),
    ...defined('downloadWindow', timeWindow(flags.downloadWindow ?? fileWindow('downloadWindow'))),
    ...defined('installWindow', timeWindow(flags.installWindow ?? fileWindow('installWindow'))),
    ...defined('startAt', flags.startAt),
    ...defined('canaryEndpoints', flags.canaryEndpoints),
    ...defined('approvers', flags.approvers),
    ...defined('dynamic', flags.dynamic),
    ...defined('endAt', flags.endAt),
  };
}

/** `region=eu-west` -> ["region", "eu-west"]. */
export function parseAttribute(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${text}"`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** Flags that only qualify another one, given without it: refused rather than silently dropped. */
function refuseDanglingFlags(flags: CampaignFlags, base: Record<string, unknown>): void {
  const hasRate = flags.rate !== undefined || base['rate'] !== undefined;
  if (flags.ramp !== undefined && !hasRate) throw new InvalidArgumentError('--ramp multiplies the rollout rate: give --rate too');
  if (flags.maxRate !== undefined && !hasRate) throw new InvalidArgumentError('--max-rate caps the rollout rate: give --rate too');
  const hasWindow = flags.downloadWindow !== undefined || flags.installWindow !== undefined || base['downloadWindow'] !== undefined || base['installWindow'] !== undefined;
  if (flags.timeZone !== undefined && !hasWindow) throw new InvalidArgumentError('--time-zone applies to --download-window or --install-window: give one of them');
}
