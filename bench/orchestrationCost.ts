/**
 * `orchestrationCostPerMillionUsd`: what a campaign costs in AWS per million device updates,
 * counted from the operations a real local run performed, at list prices. A fleet of
 * FOTA_COST_DEVICES simulated devices (1,000 by default, in their own process) takes a campaign
 * through the synthesized workflow; meanwhile this process counts
 * - state transitions (every state entered, in every execution) and Lambda task invocations with
 *   their duration, from the local Step Functions runner;
 * - DynamoDB read and write request units, as consumed capacity reported per request (the SDK
 *   client of the stack asks for it on every item, query and batch call: bench/dynamoDbUnits.ts),
 *   the writes to global secondary indexes included as DynamoDB bills them: one per index whose
 *   entry the write adds, changes or removes, sized by the projected entry, two when the index key
 *   changes, none for an item outside a sparse index (local/dynaliteIndexCapacity.ts; dynalite
 *   alone reports the base table's units). Until December 2026 every write was counted once more
 *   per GSI of its table whatever it changed: an upper bound that hid what sparse indexes and
 *   narrow projections save. The write units are printed by table and by operation;
 * - S3 requests by class, from the SDK client;
 * - the CPU time of this process during the campaign, as Fargate vCPU time: an upper bound of the
 *   edge's share, since the workflow runner and the emulators (dynalite, s3rver) run here too;
 * - the bytes the edge exchanged with devices, as NLB processed bytes.
 * Fixed costs (the NLB's and the edge tasks' hourly charge, idle) are not per update and are left out.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LocalStack } from '../local/LocalStack.ts';
import { rememberedOrchestrationTemplate } from '../local/orchestrationTemplate.ts';
import { HANDLER_ENV } from '../infra/constructs/WorkflowFunctions.ts';
import { launchCampaign } from '../functions/api/launchCampaign.ts';
import { JobStatus } from '../core/jobs/jobStateMachine.ts';
import { indexWriteUnits, reportIndexWriteCapacity } from '../local/dynaliteIndexCapacity.ts';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';
import type { FleetMessage } from './loadFleet.ts';
import type { Figure } from './figures.ts';
import { DynamoDbUnitCounter, type WriteUnitsRow } from './dynamoDbUnits.ts';

/** List prices, us-east-1, as published by AWS (checked December 2026; on-demand, x86). */
export const PRICES_USD = {
  /** Step Functions Standard: $0.025 per 1,000 state transitions. */
  stateTransition: 0.025 / 1_000,
  /** DynamoDB on-demand: $0.625 per million write request units. */
  writeRequestUnit: 0.625 / 1e6,
  /** DynamoDB on-demand: $0.125 per million read request units. */
  readRequestUnit: 0.125 / 1e6,
  /** Lambda: $0.20 per million requests. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda: $0.0000166667 per GB-second. */
  lambdaGbSecond: 0.0000166667,
  /** S3 Standard: $0.005 per 1,000 PUT, COPY, POST, LIST requests. */
  s3PutClassRequest: 0.005 / 1_000,
  /** S3 Standard: $0.0004 per 1,000 GET and other requests. */
  s3GetClassRequest: 0.0004 / 1_000,
  /** Fargate: $0.04048 per vCPU-hour, plus 2 GB of memory per vCPU at $0.004445 per GB-hour. */
  fargateVcpuSecond: (0.04048 + 2 * 0.004445) / 3600,
  /** NLB: $0.006 per NLCU-hour; for UDP one NLCU is 1 GB processed per hour. */
  nlbGigabyte: 0.006,
} as const;

/** The anchors of ARCHITECTURE.md: AWS IoT Jobs, and one Step Functions execution per device (12 transitions). */
const IOT_JOBS_PER_MILLION_USD = 1_875;
const EXECUTION_PER_DEVICE_PER_MILLION_USD = 316;
const MODEL = 'COST-1';
const IMAGE_BYTES = 4_096;

interface S3Requests {
  putClass: number;
  getClass: number;
}

export async function orchestrationCostBenchmark(): Promise<Figure[]> {
  const devices = Number(process.env['FOTA_COST_DEVICES'] ?? 1_000);
  reportIndexWriteCapacity();
  // The emulators in this process: the index writes are counted by dynalite's own code, patched here.
  const stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 500, waitOverrideMs: 1_000, emulatorsInProcess: true });
  const dynamo = new DynamoDbUnitCounter();
  dynamo.install(stack.stores.clients.dynamo);
  const s3Requests: S3Requests = { putClass: 0, getClass: 0 };
  countS3Requests(stack, s3Requests);
  let child: ChildProcess | undefined;
  try {
    child = fork(fileURLToPath(new URL('./loadFleet.ts', import.meta.url)), [String(devices), String(stack.edge.address.port), '200', MODEL], { execArgv: ['--import', 'tsx'] });
    const fleet = child;
    const next = (kind: FleetMessage['kind']): Promise<FleetMessage> =>
      new Promise((resolve, reject) => {
        const onMessage = (message: FleetMessage): void => {
          if (message.kind !== kind) return;
          fleet.off('message', onMessage);
          resolve(message);
        };
        fleet.on('message', onMessage);
        fleet.once('exit', (code) => reject(new Error(`the fleet process exited (${String(code)}) before '${kind}'`)));
      });
    const started = await next('started');
    if (started.kind !== 'started') throw new Error('unexpected message');
    process.stdout.write(`${started.registered} of ${devices} devices registered in ${started.seconds.toFixed(1)} s\n`);
    const image = await stack.stores.images.store({ version: '1.1.0', models: [MODEL] }, buildFirmwarePackage('1.1.0', IMAGE_BYTES));

    // From here on: what the campaign costs.
    dynamo.reset();
    const before = { s3: { ...s3Requests }, indexes: indexWriteUnits(), workflow: { ...stack.stepFunctions.usage }, cpu: process.cpuUsage(), bytes: edgeBytes(stack) };
    const campaignStarted = performance.now();
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
      name: `cost, ${devices} devices`,
      imageId: image.imageId,
      target: { model: MODEL },
      cohortPercentages: [10, 100],
      pollSeconds: 2,
      downloadTimeoutSeconds: 900,
      installTimeoutSeconds: 900,
      abortFailurePercent: 20,
    });
    const execution = stack.stepFunctions.executions.get(campaign.executionId);
    if (execution === undefined) throw new Error('the workflow execution did not start');
    await execution.done;
    // Nested and continued executions end with the campaign.
    await Promise.all([...stack.stepFunctions.executions.values()].map((e) => e.done));
    const seconds = (performance.now() - campaignStarted) / 1000;
    const cpu = process.cpuUsage(before.cpu);
    const jobs = await stack.stores.jobs.listCampaign(campaign.campaignId);
    const updated = jobs.filter((job) => job.status === JobStatus.Succeeded).length;
    if (updated === 0) throw new Error(`no device was updated (execution ${execution.status}: ${execution.error ?? ''})`);

    const workflow = stack.stepFunctions.usage;
    const transitions = workflow.stateTransitions - before.workflow.stateTransitions;
    const invocations = workflow.taskInvocations - before.workflow.taskInvocations + 1; // + the API's launch
    const lambdaGbSeconds = ((workflow.taskMilliseconds - before.workflow.taskMilliseconds) / 1000) * lambdaMemoryGb();
    const rru = dynamo.readUnits;
    const wru = dynamo.writeUnits;
    const indexWrus = [...indexWriteUnits()].map(([index, units]): [string, number] => [index, units - (before.indexes.get(index) ?? 0)]).filter(([, units]) => units > 0);
    const indexWru = indexWrus.reduce((sum, [, units]) => sum + units, 0);
    const s3Put = s3Requests.putClass - before.s3.putClass;
    const s3Get = s3Requests.getClass - before.s3.getClass;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const gigabytes = (edgeBytes(stack) - before.bytes) / 1e9;
    const costs = {
      stepFunctions: transitions * PRICES_USD.stateTransition,
      dynamoDb: rru * PRICES_USD.readRequestUnit + wru * PRICES_USD.writeRequestUnit,
      lambda: invocations * PRICES_USD.lambdaRequest + lambdaGbSeconds * PRICES_USD.lambdaGbSecond,
      s3: s3Put * PRICES_USD.s3PutClassRequest + s3Get * PRICES_USD.s3GetClassRequest,
      fargate: cpuSeconds * PRICES_USD.fargateVcpuSecond,
      nlb: gigabytes * PRICES_USD.nlbGigabyte,
    };
    const perMillion = (usd: number): number => Math.round((usd / updated) * 1e6 * 100) / 100;
    const total = Object.values(costs).reduce((sum, usd) => sum + usd, 0);
    process.stdout.write(
      `campaign: ${updated} of ${jobs.length} updated in ${seconds.toFixed(1)} s; ${transitions} state transitions in ${workflow.executions - before.workflow.executions} executions, ` +
        `${invocations} Lambda invocations (${lambdaGbSeconds.toFixed(1)} GB-s), ${Math.round(rru)} RRU, ${Math.round(wru)} WRU (${dynamo.requests} DynamoDB requests), ` +
        `S3 ${s3Put} PUT-class ${s3Get} GET-class, ${cpuSeconds.toFixed(1)} s CPU in the stack process, ${(gigabytes * 1e3).toFixed(1)} MB through the edge\n` +
        `per million device updates: ${Object.entries(costs).map(([what, usd]) => `${what} $${perMillion(usd)}`).join(', ')}\n` +
        writeUnitsBreakdown(dynamo.writeRows(), indexWrus, updated) +
        ['DynamoDB read units by table and command:', ...dynamo.readRows().map((row) => `  ${(row.units / updated).toFixed(2).padStart(6)} RRU/device  ${String(row.requests).padStart(6)} reads  ${row.what}`), ''].join('\n'),
    );
    const at = `${updated} devices updated (cohorts 10%, 100%; poll 2 s, Waits 1 s)`;
    return [
      { name: 'orchestrationCostPerMillionUsd', value: perMillion(total), unit: 'USD', description: `per million device updates at list prices, counted from a local campaign: ${at} (target < 10; IoT Jobs ~${IOT_JOBS_PER_MILLION_USD}, one execution per device ~${EXECUTION_PER_DEVICE_PER_MILLION_USD})` },
      { name: 'costDynamoDbIndexWritesPerMillionUsd', value: perMillion(indexWru * PRICES_USD.writeRequestUnit), unit: 'USD', description: `of the DynamoDB cost, ${Math.round(indexWru)} write units billed to global secondary indexes` },
      { name: 'writeUnitsPerDeviceUpdate', value: Math.round((wru / updated) * 10) / 10, unit: 'WRU', description: 'DynamoDB write request units per device updated, indexes included' },
      { name: 'costStepFunctionsPerMillionUsd', value: perMillion(costs.stepFunctions), unit: 'USD', description: `${transitions} state transitions at $0.025 per 1,000` },
      { name: 'costDynamoDbPerMillionUsd', value: perMillion(costs.dynamoDb), unit: 'USD', description: `${Math.round(rru)} read and ${Math.round(wru)} write request units (${Math.round(indexWru)} of them to GSIs), on demand` },
      { name: 'costLambdaPerMillionUsd', value: perMillion(costs.lambda), unit: 'USD', description: `${invocations} invocations, ${lambdaGbSeconds.toFixed(1)} GB-s (local wall time of the handlers)` },
      { name: 'costS3PerMillionUsd', value: perMillion(costs.s3), unit: 'USD', description: `${s3Put} PUT-class and ${s3Get} GET-class requests` },
      { name: 'costFargatePerMillionUsd', value: perMillion(costs.fargate), unit: 'USD', description: `${cpuSeconds.toFixed(1)} s of CPU of the whole stack process (edge, workflow, emulators: an upper bound) as Fargate vCPU time with 2 GB per vCPU` },
      { name: 'stackCpuMsPerDeviceUpdate', value: Math.round((cpuSeconds * 1000) / updated), unit: 'ms', description: 'CPU time of the stack process (edge, workflow runner, emulators) per device updated: an upper bound of the edge\'s' },
      { name: 'costNlbPerMillionUsd', value: perMillion(costs.nlb), unit: 'USD', description: `${(gigabytes * 1e3).toFixed(1)} MB processed (${IMAGE_BYTES} B image)` },
      { name: 'iotJobsPerMillionUsd', value: IOT_JOBS_PER_MILLION_USD, unit: 'USD', description: 'anchor: AWS IoT Jobs' },
      { name: 'executionPerDevicePerMillionUsd', value: EXECUTION_PER_DEVICE_PER_MILLION_USD, unit: 'USD', description: 'anchor: one Step Functions execution per device, 12 transitions' },
    ];
  } finally {
    if (child !== undefined && child.exitCode === null) child.kill();
    await stack.stop();
  }
}

/** Counts the S3 requests of the stack's SDK client by price class. */
function countS3Requests(stack: LocalStack, requests: S3Requests): void {
  stack.stores.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (/^(Get|Head)/.test(context.commandName ?? '')) requests.getClass++;
      else requests.putClass++;
      return next(args);
    },
    { step: 'initialize', name: 'countS3Requests' },
  );
}

/** The write units by table and operation, and by index, per device updated: which writes cost what. */
function writeUnitsBreakdown(rows: readonly WriteUnitsRow[], indexes: readonly [string, number][], updated: number): string {
  const perDevice = (units: number): string => (units / updated).toFixed(2).padStart(6);
  const lines = rows.map(
    (row) =>
      `  ${perDevice(row.units)} WRU/device  ${String(row.requests).padStart(6)} writes  ${(row.units / row.requests).toFixed(2)} WRU each` +
      `${row.indexUnits === undefined ? '' : ` (${(row.indexUnits / row.requests).toFixed(2)} to GSIs)`}  ${row.table} ${row.operation}`,
  );
  const byIndex = [...indexes].sort((a, b) => b[1] - a[1]).map(([index, units]) => `  ${perDevice(units)} WRU/device  GSI ${index}`);
  return ['DynamoDB write units by table and operation (GSI writes included):', ...lines, 'of which to global secondary indexes:', ...byIndex, ''].join('\n');
}

/** Bytes the edge sent to devices (firmware blocks) and an estimate of what it received (100 B per datagram). */
function edgeBytes(stack: LocalStack): number {
  return stack.edge.firmware.stats.bytesServed + stack.edge.transport.stats.datagramsIn * 100;
}

/** The memory of the workflow's Lambda functions (those that run a workflow handler), from the synthesized template. */
function lambdaMemoryGb(): number {
  const template = rememberedOrchestrationTemplate();
  const sizes = Object.values(template?.Resources ?? {})
    .filter((resource) => resource.Type === 'AWS::Lambda::Function' && (resource.Properties?.['Environment'] as { Variables?: Record<string, string> } | undefined)?.Variables?.[HANDLER_ENV] !== undefined)
    .map((resource) => Number(resource.Properties?.['MemorySize'] ?? 128));
  return Math.max(128, ...sizes) / 1024;
}
