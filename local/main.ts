/**
 * `npm start`: runs the embedded stack and a demo campaign, or (`--serve`) keeps the stack up for
 * real LwM2M clients and the CLI.
 */
import './quietNode20.ts';
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LocalStack } from './LocalStack.ts';
import { runDemoCampaign } from './demo.ts';
import { attachServeFleet, type AttachedFleet } from './serveFleet.ts';
import { createProgressBar, formatTable } from '../cli/terminal.ts';
import { loadImageSigningPolicy } from '../store/config.ts';
import { createLogger, type LogLevel } from '../coap-edge/logger.ts';
import { installProcessGuards } from '../coap-edge/processGuards.ts';

interface StartOptions {
  devices: number;
  report?: string;
  serve?: boolean;
  coapPort?: number;
  coapsPort?: number;
  apiPort?: number;
  dynamodbPort?: number;
  s3Port?: number;
  imageBytes: number;
  cohorts: number[];
  blockSize: number;
  logLevel: LogLevel;
  data?: string;
  failingDevices: number;
  webhook?: string;
  approvers?: number;
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const program = new Command()
  .name('npm start --')
  .description('Run the FOTA stack locally (dynalite, s3rver, the synthesized workflow, the CoAP edge) and a demo campaign.')
  .option('--devices <n>', 'simulated devices in the demo fleet; with --serve, devices to attach (none unless given)', positiveInt, 20)
  .option('--report <file>', 'write the campaign figures as JSON to this file')
  .option('--serve', 'keep the stack running for real clients instead of running the demo')
  .option('--coap-port <port>', 'UDP port of the CoAP edge (default 5683 with --serve, any free port for the demo)', positiveInt)
  .option('--coaps-port <port>', 'UDP port of CoAPS, DTLS 1.2 PSK (default 5684 with --serve, any free port for the demo)', positiveInt)
  .option('--api-port <port>', 'TCP port of the local REST API (default 8765 with --serve, any free port for the demo)', positiveInt)
  .addOption(new Option('--dynamodb-port <port>', 'TCP port of the DynamoDB emulator (dynalite) on loopback (any free port by default)').argParser(positiveInt).env('FOTA_DYNAMODB_PORT'))
  .addOption(new Option('--s3-port <port>', 'TCP port of the S3 emulator (s3rver) on loopback (any free port by default)').argParser(positiveInt).env('FOTA_S3_PORT'))
  .option('--image-bytes <n>', 'size of the generated demo image', positiveInt, 32 * 1024)
  .option('--cohorts <list>', 'cumulative cohort percentages, e.g. 10,100', (v) => v.split(',').map(Number), [10, 100])
  .option('--block-size <n>', 'Block2 size the simulated devices ask for (16..1024)', positiveInt, 512)
  .option('--log-level <level>', 'edge log level: debug, info, warn, error, silent', 'warn')
  .option('--data <dir>', 'keep DynamoDB and S3 data in this folder instead of memory')
  .option('--failing-devices <n>', 'with --serve --devices: the last n simulated devices fail every update (UPDATE_FAILED)', positiveInt, 0)
  .option('--webhook <url>', 'POST campaign notifications (waiting for approval, paused, aborted, succeeded, failed) to this URL as JSON (env FOTA_NOTIFY_WEBHOOK_URL)')
  .option('--approvers <n>', 'people a campaign needs when it does not say: 2 refuses an approval by its creator (env FOTA_DEFAULT_APPROVERS)', (v) => {
    if (v !== '1' && v !== '2') throw new InvalidArgumentError('1 or 2');
    return Number(v);
  });

/** The webhook and the four-eyes default, from the flags or else the environment (FOTA_NOTIFY_WEBHOOK_URL, FOTA_DEFAULT_APPROVERS). */
function notificationOptions(options: StartOptions): { notifyWebhookUrl?: string; defaultApprovers?: number } {
  const webhook = options.webhook ?? process.env['FOTA_NOTIFY_WEBHOOK_URL'];
  if (webhook !== undefined && !URL.canParse(webhook)) throw new InvalidArgumentError(`--webhook: not a URL: ${webhook}`);
  const envApprovers = process.env['FOTA_DEFAULT_APPROVERS'];
  if (envApprovers !== undefined && envApprovers !== '1' && envApprovers !== '2') throw new InvalidArgumentError(`FOTA_DEFAULT_APPROVERS: 1 or 2, got ${envApprovers}`);
  const approvers = options.approvers ?? (envApprovers === undefined ? undefined : Number(envApprovers));
  return { ...(webhook === undefined ? {} : { notifyWebhookUrl: webhook }), ...(approvers === undefined ? {} : { defaultApprovers: approvers }) };
}

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<StartOptions>();
  // The stack runs the edge in this process: an unexpected rejection is logged and counted, not fatal.
  installProcessGuards(createLogger('local', options.logLevel === 'silent' ? 'error' : options.logLevel));
  const stack = await LocalStack.start({
    coapPort: options.coapPort ?? (options.serve === true ? 5683 : 0),
    apiPort: options.apiPort ?? (options.serve === true ? 8765 : 0),
    coapsPort: options.coapsPort ?? (options.serve === true ? 5684 : 0),
    logLevel: options.logLevel,
    ...(options.dynamodbPort === undefined ? {} : { dynamoDbPort: options.dynamodbPort }),
    ...(options.s3Port === undefined ? {} : { s3Port: options.s3Port }),
    ...(options.data === undefined ? {} : { dataDirectory: options.data }),
    // FOTA_IMAGE_SIGNERS(_FILE) and FOTA_REQUIRE_SIGNED_IMAGES, as in AWS.
    imageSigning: loadImageSigningPolicy(),
    ...notificationOptions(options),
  });
  let attached: AttachedFleet | undefined;
  const stopOnSignal = (): void => {
    process.stdout.write('\nstopping...\n');
    (attached?.stop() ?? Promise.resolve())
      .then(() => stack.stop())
      .catch((error: unknown) => process.stderr.write(`stop failed: ${error instanceof Error ? error.message : String(error)}
`))
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  if (options.serve === true) {
    const edge = stack.edge.address;
    process.stdout.write(
      `${formatTable([
        ['service', 'address'],
        ['CoAP edge (LwM2M server, UDP)', `coap://${edge.address}:${edge.port}`],
        ['CoAPS edge (DTLS 1.2 PSK, UDP)', stack.edge.secureAddress === undefined ? 'off' : `coaps://${stack.edge.secureAddress.address}:${stack.edge.secureAddress.port}`],
        ['REST API (fota CLI: --api)', stack.apiUrl],
        ['Dashboard (browser)', `${stack.apiUrl}/`],
        ['DynamoDB (dynalite)', stack.config.dynamoDbEndpoint ?? ''],
        ['S3 (s3rver)', stack.config.s3Endpoint ?? ''],
      ])}\n\nRegister a client, e.g.: coap-client-openssl -m post -t 40 -e '</1/0>,</3/0>,</5/0>' 'coap://${edge.address}:${edge.port}/rd?ep=my-device&lt=300'\nTalk to it: npx fota --api ${stack.apiUrl} devices list\nCtrl-C stops the stack.\n`,
    );
    if (program.getOptionValueSource('devices') === 'cli' && options.devices > 0) {
      const bar = createProgressBar('attaching simulated devices', options.devices);
      attached = await attachServeFleet(stack, { devices: options.devices, imageBytes: options.imageBytes, blockSize: options.blockSize, failingDevices: options.failingDevices }, (n) => bar.update(n));
      bar.stop();
      process.stdout.write(
        `\n${formatTable([['simulated device', 'model', 'firmware', 'updates'], ...attached.inventory.map((d) => [d.endpoint, d.model, d.firmwareVersion, d.failsUpdates ? 'fail (UPDATE_FAILED)' : 'succeed'])])}\n` +
          `\ndemo image ${attached.image.imageId}: version ${attached.image.version} for ${attached.image.models.join(', ')}, ${attached.image.sizeBytes} bytes (npx fota images list)\n` +
          `launch a campaign: npx fota campaigns create --name first --image ${attached.image.imageId} --cohorts 50,100 --watch\n`,
      );
    }
    return;
  }

  try {
    process.stdout.write(`local stack up: edge coap://${stack.edge.address.address}:${stack.edge.address.port}, ${options.devices} simulated devices\n`);
    const report = await runDemoCampaign(stack, {
      devices: options.devices,
      imageBytes: options.imageBytes,
      cohortPercentages: options.cohorts,
      blockSize: options.blockSize,
    });
    process.stdout.write(
      `\n${formatTable([
        ['campaign', report.campaignId],
        ['status', report.campaignStatus],
        ['devices', report.devices],
        ['succeeded (version read back)', report.succeeded],
        ['failed', report.failed],
        ['skipped', report.skipped],
        ['cohorts', report.cohorts],
        ['firmware blocks served', report.blocksServed],
        ['duration (s)', report.durationSeconds],
        ['devices per second', report.devicesPerSecond],
      ])}\n`,
    );
    if (Object.keys(report.failureReasons).length > 0) {
      process.stdout.write(`\n${formatTable([['failure reason', 'devices'], ...Object.entries(report.failureReasons)])}\n`);
    }
    if (options.report !== undefined) {
      await writeFile(options.report, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`\nreport written to ${options.report}\n`);
    }
    if (report.executionStatus !== 'SUCCEEDED') process.stderr.write(`workflow execution ${report.executionStatus}: ${report.executionError ?? ''}\n`);
    process.exitCode = report.failed === 0 && report.succeeded === report.devices ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
