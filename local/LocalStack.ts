/**
 * The embedded stack: dynalite (DynamoDB) and s3rver (S3) in a child process, the synthesized
 * campaign workflow on aws-local-stepfunctions and the CoAP edge on loopback UDP in this one, with
 * the same code that runs in AWS. Ports are chosen by the OS unless given, so tests can run side by side.
 */
import type { StoreConfig } from '../store/config.ts';
import type { ImageSigningPolicy } from '../store/imageSigning.ts';
import type { Stores } from '../store/Stores.ts';
import { Edge, type EdgeOptions } from '../coap-edge/Edge.ts';
import { createLogger, type LogLevel } from '../coap-edge/logger.ts';
import { LocalStepFunctions } from './LocalStepFunctions.ts';
import { startApiServer } from './apiServer.ts';
import { startEmulators } from './emulators.ts';
import { loadSynthesizedWorkflow, type SynthesizedWorkflow } from './synthesizedWorkflow.ts';

export interface LocalStackOptions {
  /** UDP port of the edge: 5683 for `--serve`, 0 (any free port) by default. */
  readonly coapPort?: number;
  /** UDP port of CoAPS (DTLS): 5684 for `--serve`, 0 (any free port) by default. Locally both run. */
  readonly coapsPort?: number;
  readonly logLevel?: LogLevel;
  /** Override every Wait state of the workflow with this many milliseconds (time compression). */
  readonly waitOverrideMs?: number;
  readonly jobPollIntervalMs?: number;
  /** How long the edge treats a queue-mode device as awake after it spoke (default 93 s). */
  readonly queueModeAwakeMs?: number;
  /** Firmware delivery tuning of the edge (state checks, deferral retries, HTTP URL expiry...). */
  readonly edgeDelivery?: Pick<EdgeOptions, 'stateCheckIntervalMs' | 'deferRetryMs' | 'httpPackageUrlExpirySeconds' | 'pushConcurrency' | 'imageCacheBytes'>;
  /** How long the edge waits for a device's answer, and for a separate response after an empty ACK. */
  readonly edgeRequests?: Pick<EdgeOptions, 'requestTimeoutMs' | 'separateResponseTimeoutMs' | 'registrationMemoryMs'>;
  /** TCP port of the REST API on loopback; any free port by default. */
  readonly apiPort?: number;
  /** TCP port of dynalite (DynamoDB) on loopback; any free port by default. */
  readonly dynamoDbPort?: number;
  /** TCP port of s3rver (S3) on loopback; any free port by default. */
  readonly s3Port?: number;
  /** Run dynalite and s3rver in this process instead of a child process of their own. @default false */
  readonly emulatorsInProcess?: boolean;
  /** A folder for dynalite's LevelDB files and s3rver's objects; in memory / a temp folder when absent. */
  readonly dataDirectory?: string;
  /** Signer keys of firmware images and whether unsigned ones are refused. @default none, unsigned accepted */
  readonly imageSigning?: ImageSigningPolicy;
  /** Campaign notifications (waiting for approval, paused, aborted, succeeded, failed) are POSTed here as JSON. */
  readonly notifyWebhookUrl?: string;
  /** How many people a campaign needs when it does not say (`approvers`): 2 for four eyes on every campaign. @default 1 */
  readonly defaultApprovers?: number;
}

export class LocalStack {
  private constructor(
    readonly config: StoreConfig,
    readonly stores: Stores,
    readonly edge: Edge,
    readonly stepFunctions: LocalStepFunctions,
    readonly workflow: SynthesizedWorkflow,
    readonly apiUrl: string,
    private readonly closers: (() => Promise<void>)[],
  ) {}

  static async start(options: LocalStackOptions = {}): Promise<LocalStack> {
    const closers: (() => Promise<void>)[] = [];
    // The dashboard is the local API's: notifications link to it once it listens.
    let dashboardUrl: string | undefined;
    try {
      const emulators = await startEmulators({
        inChildProcess: options.emulatorsInProcess !== true,
        dashboardUrl: () => dashboardUrl,
        ...(options.notifyWebhookUrl === undefined ? {} : { notifyWebhookUrl: options.notifyWebhookUrl }),
        ...(options.defaultApprovers === undefined ? {} : { defaultApprovers: options.defaultApprovers }),
        ...(options.dynamoDbPort === undefined ? {} : { dynamoDbPort: options.dynamoDbPort }),
        ...(options.s3Port === undefined ? {} : { s3Port: options.s3Port }),
        ...(options.dataDirectory === undefined ? {} : { dataDirectory: options.dataDirectory }),
        ...(options.imageSigning === undefined ? {} : { imageSigning: options.imageSigning }),
      });
      closers.push(() => emulators.stop());
      const { config, stores } = emulators;

      const logger = createLogger('edge', options.logLevel ?? 'warn');
      const workflow = loadSynthesizedWorkflow();
      const stepFunctions = new LocalStepFunctions(workflow, { stores, logLevel: options.logLevel ?? 'warn', ...(options.waitOverrideMs === undefined ? {} : { waitOverrideMs: options.waitOverrideMs }) });
      const edge = new Edge({ stores, taskId: 'local-edge-1', port: options.coapPort ?? 0, securePort: options.coapsPort ?? 0, jobPollIntervalMs: options.jobPollIntervalMs ?? 500, logger, metricsIntervalMs: 0, taskTokens: stepFunctions, ...(options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: options.queueModeAwakeMs }), ...options.edgeDelivery, ...options.edgeRequests });
      await edge.start();
      closers.push(() => edge.stop());

      const api = await startApiServer({ stores, starter: stepFunctions, defaultApprovers: config.defaultApprovers ?? 1 }, options.apiPort ?? 0);
      dashboardUrl = api.url;
      closers.push(() => new Promise((resolve) => api.server.close(() => resolve())));
      return new LocalStack(config, stores, edge, stepFunctions, workflow, api.url, closers);
    } catch (error) {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      throw error;
    }
  }

  async stop(): Promise<void> {
    for (const execution of this.stepFunctions.executions.values()) if (execution.status === 'RUNNING') execution.abort();
    for (const close of [...this.closers].reverse()) await close().catch(() => undefined);
  }
}
