/**
 * `fota`: the release manager's command line. Talks to the REST API of the local stack
 * (`npm start -- --serve`) or of a deployed stack (`--api URL`). Every read command takes --json.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import type { DeviceRequest } from '../core/devices/DeviceRequest.ts';
import type { FirmwareImage } from '../core/images/FirmwareImage.ts';
import type { Campaign } from '../core/campaign/Campaign.ts';
import type { CohortTally } from '../core/campaign/progress.ts';
import { ApiClient, ApiClientError } from './ApiClient.ts';
import { createProgressBar, formatTable } from './terminal.ts';

type CampaignView = Campaign & { progress: CohortTally; cohorts: (CohortTally & { cohort: number })[] };

const program = new Command()
  .name('fota')
  .description('Firmware-over-the-air campaigns for LwM2M fleets')
  .option('--api <url>', 'REST API base URL (env FOTA_API)', process.env['FOTA_API'] ?? 'http://127.0.0.1:8765')
  .option('--json', 'print JSON instead of tables');

const api = (): ApiClient => new ApiClient(program.opts<{ api: string }>().api);
const asJson = (): boolean => program.opts<{ json?: boolean }>().json === true;
const print = (value: unknown, table: () => string): void => {
  process.stdout.write(`${asJson() ? JSON.stringify(value, null, 2) : table()}\n`);
};

const devices = program.command('devices').description('registered devices');
devices
  .command('list')
  .description('list registered devices')
  .action(async () => {
    const { items } = await api().get<{ items: DeviceRegistration[] }>('/devices');
    print(items, () =>
      formatTable([
        ['endpoint', 'model', 'firmware', 'lwm2m', 'binding', 'last seen'],
        ...items.map((d) => [d.endpoint, d.model ?? '', d.firmwareVersion ?? '', d.lwm2mVersion, `${d.binding}${d.queueMode ? 'Q' : ''}`, new Date(d.lastSeen).toISOString()]),
      ]),
    );
  });
devices
  .command('show <endpoint>')
  .description('show one device: registration, objects, last seen')
  .action(async (endpoint: string) => {
    const device = await api().get<DeviceRegistration>(`/devices/${encodeURIComponent(endpoint)}`);
    print(device, () => formatTable([['field', 'value'], ...Object.entries(device).map(([k, v]) => [k, Array.isArray(v) ? v.join(' ') : String(v)])]));
  });

const operation = (kind: string, describe: string, extra?: (cmd: Command) => Command) => {
  const cmd = devices.command(`${kind} <endpoint> <path>${kind === 'write' ? ' <value>' : ''}`).description(describe).option('--wait <seconds>', 'seconds to wait for the device', Number, 10);
  (extra?.(cmd) ?? cmd).action(async (endpoint: string, path: string, ...rest: unknown[]) => {
    const value = kind === 'write' ? (rest[0] as string) : undefined;
    const opts = (rest[kind === 'write' ? 1 : 0] as { wait: number; args?: string }) ?? { wait: 10 };
    const body = {
      operation: { kind, path, ...(value === undefined ? {} : { value }), ...(opts.args === undefined ? {} : { args: opts.args }) },
      waitSeconds: opts.wait,
    };
    const request = await api().post<DeviceRequest>(`/devices/${encodeURIComponent(endpoint)}/operations`, body);
    print(request, () => {
      if (request.status === 'PENDING') return `queued as ${request.requestId}: the device has not answered yet (asleep or offline)`;
      const result = request.result;
      const lines = [`${request.status} ${result?.code ?? ''}${result?.error === undefined ? '' : ` ${result.error}`}`];
      if (result?.values !== undefined) lines.push(formatTable([['path', 'value'], ...Object.entries(result.values).map(([p, v]) => [p, typeof v === 'object' ? `base64:${v.base64}` : String(v)])]));
      if (result?.linkFormat !== undefined) lines.push(result.linkFormat);
      return lines.join('\n');
    });
    if (request.status === 'FAILED' || request.status === 'EXPIRED') process.exitCode = 1;
  });
};
operation('read', 'read a path; values decoded from whatever format the device answers in');
operation('write', 'write a single resource');
operation('execute', 'execute a resource', (cmd) => cmd.option('--args <text>', 'execute arguments'));
operation('discover', 'discover the attributes and resources under a path');
operation('observe', 'observe a path (notifications are kept by the edge)');

const images = program.command('images').description('firmware images');
images
  .command('upload <file>')
  .description('upload an image; the server computes and records its SHA-256')
  .requiredOption('--version <version>', 'firmware version the image installs')
  .requiredOption('--models <list>', 'comma-separated device models', (v: string) => v.split(',').filter(Boolean))
  .option('--notes <text>', 'release notes')
  .action(async (file: string, opts: { version: string; models: string[]; notes?: string }) => {
    const bytes = await readFile(file);
    const image = await api().post<FirmwareImage>('/images', { version: opts.version, models: opts.models, contentBase64: bytes.toString('base64'), ...(opts.notes === undefined ? {} : { notes: opts.notes }) });
    print(image, () => `image ${image.imageId} v${image.version}, ${image.sizeBytes} bytes, sha256 ${image.sha256}`);
  });
images
  .command('list')
  .description('list images')
  .action(async () => {
    const { items } = await api().get<{ items: FirmwareImage[] }>('/images');
    print(items, () => formatTable([['image', 'version', 'models', 'bytes', 'verified', 'sha256'], ...items.map((i) => [i.imageId, i.version, i.models.join(','), i.sizeBytes, String(i.verified), `${i.sha256.slice(0, 16)}...`])]));
  });
images
  .command('show <imageId>')
  .description('show one image')
  .action(async (id: string) => {
    const image = await api().get<FirmwareImage>(`/images/${encodeURIComponent(id)}`);
    print(image, () => formatTable([['field', 'value'], ...Object.entries(image).map(([k, v]) => [k, String(v)])]));
  });

const percentages = (value: string): number[] => {
  const list = value.split(',').map(Number);
  if (list.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError('expected numbers, e.g. 1,10,100');
  return list;
};

const campaigns = program.command('campaigns').description('rollout campaigns');
campaigns
  .command('create')
  .description('create and start a campaign, from flags or a JSON file')
  .option('--file <file>', 'campaign definition as JSON')
  .option('--name <name>', 'campaign name')
  .option('--image <imageId>', 'image to roll out')
  .option('--model <model>', 'target devices of this model')
  .option('--endpoints <list>', 'target these endpoints (comma-separated)', (v: string) => v.split(',').filter(Boolean))
  .option('--cohorts <list>', 'cumulative cohort percentages, canary first', percentages)
  .option('--poll-seconds <n>', 'seconds between progress checks', Number)
  .option('--abort-failure-percent <n>', 'abort when more than this share of a cohort failed', Number)
  .action(async (opts: { file?: string; name?: string; image?: string; model?: string; endpoints?: string[]; cohorts?: number[]; pollSeconds?: number; abortFailurePercent?: number }) => {
    const fromFile = opts.file === undefined ? {} : (JSON.parse(await readFile(opts.file, 'utf8')) as Record<string, unknown>);
    const definition = {
      ...fromFile,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(opts.image === undefined ? {} : { imageId: opts.image }),
      ...(opts.model === undefined && opts.endpoints === undefined ? {} : { target: { ...(opts.model === undefined ? {} : { model: opts.model }), ...(opts.endpoints === undefined ? {} : { endpoints: opts.endpoints }) } }),
      ...(opts.cohorts === undefined ? {} : { cohortPercentages: opts.cohorts }),
      ...(opts.pollSeconds === undefined ? {} : { pollSeconds: opts.pollSeconds }),
      ...(opts.abortFailurePercent === undefined ? {} : { abortFailurePercent: opts.abortFailurePercent }),
    };
    const campaign = await api().post<Campaign & { executionId: string }>('/campaigns', definition);
    print(campaign, () => `campaign ${campaign.campaignId} started (execution ${campaign.executionId})`);
  });
campaigns
  .command('list')
  .description('list campaigns')
  .action(async () => {
    const { items } = await api().get<{ items: Campaign[] }>('/campaigns');
    print(items, () => formatTable([['campaign', 'name', 'status', 'target version', 'created'], ...items.map((c) => [c.campaignId, c.name, c.status, c.targetVersion, new Date(c.createdAt).toISOString()])]));
  });
campaigns
  .command('show <campaignId>')
  .description('show a campaign with progress per cohort')
  .action(async (id: string) => {
    const view = await api().get<CampaignView>(`/campaigns/${encodeURIComponent(id)}`);
    print(view, () => describeCampaign(view));
  });
campaigns
  .command('watch <campaignId>')
  .description('live progress bars until the campaign ends')
  .option('--interval <ms>', 'refresh interval', Number, 1000)
  .action(async (id: string, opts: { interval: number }) => {
    let view = await api().get<CampaignView>(`/campaigns/${encodeURIComponent(id)}`);
    const bar = createProgressBar('finished', view.progress.total);
    while (view.status === 'CREATED' || view.status === 'RUNNING') {
      bar.update(view.progress.finished, `succeeded ${view.progress.succeeded}, failed ${view.progress.failed}`);
      await new Promise((resolve) => setTimeout(resolve, opts.interval));
      view = await api().get<CampaignView>(`/campaigns/${encodeURIComponent(id)}`);
    }
    bar.update(view.progress.finished, `succeeded ${view.progress.succeeded}, failed ${view.progress.failed}`);
    bar.stop();
    print(view, () => describeCampaign(view));
  });

function describeCampaign(view: CampaignView): string {
  return [
    `campaign ${view.campaignId} "${view.name}": ${view.status}, target version ${view.targetVersion}`,
    formatTable([
      ['cohort', 'devices', 'finished', 'succeeded', 'failed'],
      ...view.cohorts.map((c) => [String(c.cohort), c.total, c.finished, c.succeeded, c.failed]),
      ['all', view.progress.total, view.progress.finished, view.progress.succeeded, view.progress.failed],
    ]),
    ...(Object.keys(view.progress.failureReasons).length === 0 ? [] : [formatTable([['failure reason', 'devices'], ...Object.entries(view.progress.failureReasons)])]),
  ].join('\n\n');
}

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ApiClientError) {
    process.stderr.write(`fota: ${error.code}: ${error.message}\n`);
    process.exit(error.status === 0 ? 3 : 2);
  }
  process.stderr.write(`fota: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
