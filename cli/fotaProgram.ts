/**
 * `fota`: the release manager's command line. Talks to the REST API of the local stack
 * (`npm start -- --serve`) or of a deployed stack (`--api URL`). Every read command takes --json.
 * `runFota` is one run of it on the streams and environment it is given: the process's in
 * `cli/main.ts`, a test's buffers in `test/integration/fotaCli.ts`.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import type { DeviceRequest } from '../core/devices/DeviceRequest.ts';
import type { FirmwareImage } from '../core/images/FirmwareImage.ts';
import { apiClientFor, ApiClientError, type ApiClient } from './ApiClient.ts';
import { addCampaignCommands } from './campaignCommands.ts';
import { addCredentialCommands } from './credentialCommands.ts';
import { formatTable } from './terminal.ts';
import { addDeviceManagementCommands, describeRequest } from './deviceCommands.ts';
import { addFleetCommands } from './fleetCommands.ts';
import { fieldText } from './humanTime.ts';
import type { FotaConsole } from './fotaConsole.ts';
import { addTagCommands } from './tagCommands.ts';
import { signedByText, uploadImageFile } from './uploadImage.ts';

/** The command line for one run: its commands print to `io`; `setExitCode` records a failed outcome. */
function fotaProgram(io: FotaConsole, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('fota')
    .description('Firmware-over-the-air campaigns for LwM2M fleets')
    .option('--api <url>', 'REST API base URL: the local stack (http://127.0.0.1:PORT, unsigned) or a deployed stack (https://..., signed with SigV4 from the standard AWS credential chain); env FOTA_API', io.env['FOTA_API'] ?? 'http://127.0.0.1:8765')
    .option('--region <region>', 'AWS region of a deployed API (default: from its host name, else AWS_REGION)')
    .option('--json', 'print JSON instead of tables')
    // Commander's own usage errors and help go to this run's streams and end the run, not the process.
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride();

  let client: ApiClient | undefined;
  const api = (): ApiClient => {
    const { api: url, region } = program.opts<{ api: string; region?: string }>();
    return (client ??= apiClientFor(url, { env: io.env, ...(region === undefined ? {} : { region }) }));
  };
  const asJson = (): boolean => program.opts<{ json?: boolean }>().json === true;
  const print = (value: unknown, table: () => string): void => {
    io.stdout.write(`${asJson() ? JSON.stringify(value, null, 2) : table()}\n`);
  };

  const devices = program.command('devices').description('registered devices');
  devices
    .command('list')
    .description('list registered devices')
    .action(async () => {
      const { items } = await api().get<{ items: (DeviceRegistration & { online?: boolean })[] }>('/devices');
      print(items, () =>
        formatTable([
          ['endpoint', 'model', 'firmware', 'lwm2m', 'binding', 'online', 'last seen'],
          ...items.map((d) => [d.endpoint, d.model ?? '', d.firmwareVersion ?? '', d.lwm2mVersion, `${d.binding}${d.queueMode ? 'Q' : ''}`, d.online === false ? 'expired' : 'yes', new Date(d.lastSeen).toISOString()]),
        ]),
      );
    });
  devices
    .command('show <endpoint>')
    .description('show one device: registration, objects, last seen')
    .action(async (endpoint: string) => {
      const device = await api().get<DeviceRegistration>(`/devices/${encodeURIComponent(endpoint)}`);
      print(device, () => formatTable([['field', 'value'], ...Object.entries(device).map(([k, v]) => [k, fieldText(k, v)])]));
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
      print(request, () => describeRequest(request));
      if (request.status !== 'DONE' && request.status !== 'PENDING') setExitCode(1);
    });
  };
  operation('read', 'read a path; values decoded from whatever format the device answers in');
  operation('write', 'write a single resource');
  operation('execute', 'execute a resource', (cmd) => cmd.option('--args <text>', 'execute arguments'));
  operation('discover', 'discover the attributes and resources under a path');
  operation('observe', 'observe a path (notifications are kept by the edge)');
  addDeviceManagementCommands(devices, { api, print, setExitCode });
  addTagCommands(devices, { api, print });

  const images = program.command('images').description('firmware images');
  images
    .command('upload <file>')
    .description('upload an image straight to S3 (presigned URLs); the server hashes what S3 stored and verifies it against the local SHA-256')
    .requiredOption('--version <version>', 'firmware version the image installs')
    .option('--models <list>', 'comma-separated device models (/3/0/1) the image is for', (v: string) => v.split(',').filter(Boolean))
    .option('--any-model', 'the image is for every device model (instead of --models)')
    .option('--compatible-from <list>', 'comma-separated versions the image installs over (default: any)', (v: string) => v.split(',').filter(Boolean))
    .option('--notes <text>', 'release notes')
    .option('--sign-key <pem>', 'sign the image SHA-256 with this Ed25519 or ECDSA P-256 private key (PEM file)')
    .option('--signer <name>', 'the configured signer name the key belongs to (the server refuses another)')
    .action(async (file: string, opts: { version: string; models?: string[]; anyModel?: boolean; compatibleFrom?: string[]; notes?: string; signKey?: string; signer?: string }) => {
      const image = await uploadImageFile(api(), file, {
        version: opts.version,
        models: opts.models ?? [],
        ...(opts.anyModel === true ? { anyModel: true } : {}),
        ...(opts.compatibleFrom === undefined ? {} : { compatibleFrom: opts.compatibleFrom }),
        ...(opts.notes === undefined ? {} : { notes: opts.notes }),
        ...(opts.signKey === undefined ? {} : { sign: { keyFile: opts.signKey, ...(opts.signer === undefined ? {} : { signer: opts.signer }) } }),
      });
      print(image, () => `image ${image.imageId} v${image.version}, ${image.sizeBytes} bytes, sha256 ${image.sha256}, ${image.status.toLowerCase()}${signedByText(image)}`);
    });
  images
    .command('delete <imageId>')
    .description('delete an image and its bytes (refused while a campaign that is not finished uses it)')
    .action(async (id: string) => {
      const result = await api().delete<{ imageId: string; deleted: boolean }>(`/images/${encodeURIComponent(id)}`);
      print(result, () => `image ${result.imageId} deleted`);
    });
  images
    .command('list')
    .description('list images')
    .action(async () => {
      const { items } = await api().get<{ items: FirmwareImage[] }>('/images');
      print(items, () =>
        formatTable([
          ['image', 'version', 'models', 'bytes', 'status', 'sha256', 'signed by'],
          ...items.map((i) => [i.imageId, i.version, i.anyModel === true ? '(any)' : i.models.join(','), i.sizeBytes, i.status ?? (i.verified ? 'VERIFIED' : ''), i.sha256 === '' ? '' : `${i.sha256.slice(0, 16)}...`, i.signedBy === undefined ? '' : `${i.signedBy.signer} (${i.signedBy.keyId})`]),
        ]),
      );
    });
  images
    .command('show <imageId>')
    .description('show one image')
    .action(async (id: string) => {
      const image = await api().get<FirmwareImage>(`/images/${encodeURIComponent(id)}`);
      print(image, () => formatTable([['field', 'value'], ...Object.entries(image).map(([k, v]) => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)])]) + signedByText(image));
    });

  addCampaignCommands(program, { api, print, asJson, io, setExitCode });
  addCredentialCommands(program, { api, print, io });
  addFleetCommands(program, { api, print });
  return program;
}

/** Runs one `fota` command line (the arguments after the script name) and answers its exit code. */
export async function runFota(args: readonly string[], io: FotaConsole): Promise<number> {
  let exitCode = 0;
  const program = fotaProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    // Commander has already printed its own usage error (or the help it was asked for); an
    // InvalidArgumentError an action threw has not.
    if (error instanceof CommanderError && !(error instanceof InvalidArgumentError)) return error.exitCode;
    if (error instanceof ApiClientError) {
      io.stderr.write(`fota: ${error.code}: ${error.message}${error.field === undefined ? '' : ` (field ${error.field})`}\n`);
      return error.status === 0 ? 3 : 2;
    }
    io.stderr.write(`fota: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
