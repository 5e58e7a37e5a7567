/**
 * The LwM2M server, wired and nothing more (like Leshan's server builder): the transports
 * (EdgeTransports), the Registration interface at /rd, Send at /dp (telemetry), firmware blocks
 * at /fw, Device Management and the job executor. The services report what happens as one
 * EdgeEvent union (EdgeEvents) and EdgeEventHandler acts on it. Where a Register enters: `route`
 * -> RegistrationService; where a job changes state: JobExecutor; where an image byte leaves:
 * FirmwareBlockServer.
 */
import type { FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import { defaultObjectRegistry } from '../core/lwm2m/objectRegistry.ts';
import { FotaMetric, FotaMetricService } from '../core/metrics.ts';
import type { JobStore } from '../core/ports/JobStore.ts';
import { emfMetricsSink } from '../store/metrics.ts';
import { observingJobStore } from '../store/PublishingJobStore.ts';
import { PhaseWaker } from './jobs/PhaseWaker.ts';
import { DeviceClient } from './devices/DeviceClient.ts';
import { DeviceInfoReader } from './devices/DeviceInfoReader.ts';
import { DownlinkExecutor } from './devices/DownlinkExecutor.ts';
import { RegistrationFormatMemory } from './devices/RegistrationFormatMemory.ts';
import { EdgeEventHandler } from './EdgeEventHandler.ts';
import { EdgeEvents } from './EdgeEvents.ts';
import type { EdgeOptions } from './EdgeOptions.ts';
import { EdgeTransports, type EdgeAddresses } from './EdgeTransports.ts';
import { FirmwareBlockServer } from './firmware/FirmwareBlockServer.ts';
import { ImageCache } from './firmware/ImageCache.ts';
import { PackagePusher } from './firmware/PackagePusher.ts';
import { presignedPackages } from './firmware/presignedPackages.ts';
import { JobExecutor, type CancelOutcome } from './jobs/JobExecutor.ts';
import { EdgeMetricsReporter, type EdgeMetricCounts } from './metrics/EdgeMetricsReporter.ts';
import { HeardRegistrations } from './registration/HeardRegistrations.ts';
import { RegistrationService } from './registration/RegistrationService.ts';
import { SendService } from './reporting/SendService.ts';
import { TelemetryRecorder } from './reporting/TelemetryRecorder.ts';
import type { CoapTransport, InboundRequest, OutboundResponse, Peer } from './transport/CoapTransport.ts';

export type { EdgeOptions } from './EdgeOptions.ts';

/** What exists once the transports are bound: the job executor needs the bound address for its Package URIs. */
interface Running {
  readonly addresses: EdgeAddresses;
  readonly executor: JobExecutor;
}

export class Edge {
  readonly devices: DeviceClient;
  readonly firmware: FirmwareBlockServer;
  readonly images: ImageCache;
  readonly pusher: PackagePusher;
  readonly metrics: EdgeMetricsReporter;
  private readonly transports: EdgeTransports;
  private readonly events: EdgeEvents;
  /** The job store every part of this edge writes through, counting applied transitions. */
  private readonly jobs: JobStore;
  /** Ends the workflow's phase waits when this edge's jobs of a cohort are done (when given task tokens). */
  private readonly phaseWaker: PhaseWaker | undefined;
  private readonly registration: RegistrationService;
  /** The registry as this task sees it (what it heard and read lately kept in memory). */
  private readonly registrations: HeardRegistrations;
  private readonly deviceInfo: DeviceInfoReader;
  private readonly telemetry: TelemetryRecorder;
  private readonly send: SendService;
  private readonly downlink: DownlinkExecutor;
  private readonly counters = { jobTransitions: 0 };
  private running: Running | undefined;

  constructor(private readonly options: EdgeOptions) {
    const { stores, logger, taskId } = options;
    const registrations = new HeardRegistrations(stores.registrations, { taskId, ...(options.registrationMemoryMs === undefined ? {} : { rememberMs: options.registrationMemoryMs }) });
    this.registrations = registrations;
    this.events = new EdgeEvents(logger);
    const phaseWaker = options.taskTokens === undefined ? undefined : new PhaseWaker(stores.campaigns, options.taskTokens, logger);
    this.phaseWaker = phaseWaker;
    this.jobs = observingJobStore(stores.jobs, (_job, _event, after) => {
      this.counters.jobTransitions++;
      phaseWaker?.onTransition(after);
    });
    this.metrics = new EdgeMetricsReporter(() => this.metricCounts(), options.metricsSink ?? emfMetricsSink(FotaMetricService.Edge));
    this.transports = new EdgeTransports(options);
    this.devices = new DeviceClient(this.transports.router, options.objectRegistry ?? defaultObjectRegistry, new RegistrationFormatMemory(registrations, logger));
    this.images = new ImageCache(stores.images, options.imageCacheBytes ?? 256 * 1024 * 1024, (imageId, error) =>
      logger.warn('firmware image not served: it cannot be loaded or fails its SHA-256 check', { imageId, error }),
    );
    this.firmware = new FirmwareBlockServer(
      // Tokens of the jobs the executor holds are answered from its copies, without a read.
      { findByToken: (token) => this.running?.executor.findByToken(token) ?? this.jobs.findByToken(token) },
      this.images,
      Date.now,
      (job) => this.events.emit({ kind: 'downloadContact', job }),
      (job) => this.events.emit({ kind: 'lastBlockServed', job }),
    );
    this.pusher = new PackagePusher(this.devices, this.images, { concurrency: options.pushConcurrency ?? 32 });
    this.deviceInfo = new DeviceInfoReader(this.devices, registrations, logger);
    this.registration = new RegistrationService({
      store: registrations,
      taskId,
      onEvent: (event) => this.events.emit(event),
      credentialOwner: async (identity) => (await stores.credentials.get(identity))?.endpoint,
      onAddressTaken: (taken) => this.events.emit({ kind: 'addressTaken', taken }),
      dtlsRequired: (endpoint) => stores.credentials.requiresDtls(endpoint),
    });
    this.telemetry = new TelemetryRecorder({ telemetry: stores.telemetry, events: stores.events, logger });
    this.send = new SendService({ senders: this.registration, recorder: this.telemetry, registry: this.devices.registry, onSend: (endpoint) => this.events.emit({ kind: 'sent', endpoint }) });
    this.downlink = new DownlinkExecutor({
      requests: stores.requests,
      registrations,
      devices: this.devices,
      taskId,
      pollIntervalMs: options.jobPollIntervalMs ?? 2_000,
      logger,
      onNotification: (notification) => this.events.emit({ kind: 'notification', notification }),
      ...(options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: options.queueModeAwakeMs }),
    });
    this.transports.serve((request) => this.route(request));
  }

  get transport(): CoapTransport {
    return this.transports.plain;
  }

  /** CoAPS on `securePort`, when configured. */
  get secureTransport(): CoapTransport | undefined {
    return this.transports.secure;
  }

  /** The CoAPS address, when DTLS is on. */
  get secureAddress(): Peer | undefined {
    return this.running?.addresses.secure;
  }

  get address(): Peer {
    if (this.running === undefined) throw new Error('edge is not started');
    return this.running.addresses.plain;
  }

  /** Failures of the edge's own background work (the job executor counts its own). */
  get faults(): { readonly backgroundRejections: number } {
    return this.events.faults;
  }

  async start(): Promise<Peer> {
    const { options } = this;
    const addresses = await this.transports.start();
    const executor = this.jobExecutor(addresses);
    this.running = { addresses, executor };
    this.events.handleWith(
      new EdgeEventHandler({
        taskId: options.taskId,
        registrations: this.registrations,
        transports: this.transports,
        devices: this.devices,
        deviceInfo: this.deviceInfo,
        downlink: this.downlink,
        executor,
        telemetry: this.telemetry,
        firmware: this.firmware,
        logger: options.logger,
      }),
    );
    executor.start();
    this.downlink.start();
    const metricsIntervalMs = options.metricsIntervalMs ?? 60_000;
    if (metricsIntervalMs > 0) this.metrics.start(metricsIntervalMs);
    options.logger.info('edge listening', { address: addresses.plain.address, port: addresses.plain.port, taskId: options.taskId });
    return addresses.plain;
  }

  /** Cancels a job's download on its device (object 5 Cancel, or a reset) and the job itself. */
  cancelDownload(job: FirmwareJob, reason?: string): Promise<CancelOutcome> {
    if (this.running === undefined) return Promise.reject(new Error('edge is not started'));
    return this.running.executor.cancelDownload(job, reason);
  }

  /**
   * Graceful shutdown (SIGTERM in a Fargate task being replaced): job steps in flight finish their
   * writes within `graceMs` while the transport keeps answering (blocks for downloads under way,
   * registrations), no new step starts; then the edge stops. Devices come back through another
   * task, which takes their jobs over.
   */
  async drain(graceMs: number): Promise<{ unfinishedSteps: number }> {
    this.downlink.stop();
    const unfinishedSteps = (await this.running?.executor.drain(graceMs)) ?? 0;
    await this.stop();
    return { unfinishedSteps };
  }

  async stop(): Promise<void> {
    this.metrics.stop();
    this.phaseWaker?.stop();
    this.running?.executor.stop();
    this.downlink.stop();
    await this.transports.stop();
    // Registrations still held for their batch are written before the task goes.
    await this.options.stores.registrations.flush().catch((error: unknown) => this.options.logger.warn('registrations not written at stop', { error }));
  }

  /** The job executor's counters: take-overs, deadlines enforced, background rejections logged. */
  get jobStats(): { readonly takenOver: number; readonly unexpectedRejections: number; readonly deadlinesEnforced: number } {
    return this.running?.executor.stats ?? { takenOver: 0, unexpectedRejections: 0, deadlinesEnforced: 0 };
  }

  /** Jobs this task took over from another task because their devices download through it. */
  get takenOverJobs(): number {
    return this.jobStats.takenOver;
  }

  /** Observations this task holds for a device (paths per observation). */
  observations(endpoint: string): string[][] {
    return this.downlink.activeObservations(endpoint);
  }

  /** The cumulative counters behind the edge's metrics (core/metrics.ts). */
  metricCounts(): EdgeMetricCounts {
    const dtls = this.transports.dtlsStats;
    return {
      [FotaMetric.Registrations]: this.events.count('registered'),
      [FotaMetric.BlocksServed]: this.firmware.stats.blocksServed,
      [FotaMetric.JobTransitions]: this.counters.jobTransitions,
      [FotaMetric.HandshakesRejected]: dtls?.handshakesRejected ?? 0,
      [FotaMetric.HandshakesFailed]: dtls?.handshakesFailed ?? 0,
      [FotaMetric.HandshakesCompleted]: dtls?.handshakesCompleted ?? 0,
      [FotaMetric.CampaignsAborted]: 0,
    };
  }

  private route(request: InboundRequest): Promise<OutboundResponse> {
    switch (request.pathSegments[0]) {
      case 'rd':
        return this.registration.handle(request);
      case 'fw':
        return this.firmware.handle(request);
      case 'dp':
        return this.send.handle(request);
      default:
        return Promise.resolve({ code: '4.04' });
    }
  }

  /** The job executor, once the Package URIs' host is known: CoAP(S) pull from the cache, push, HTTP(S) pull from S3. */
  private jobExecutor(addresses: EdgeAddresses): JobExecutor {
    const { options } = this;
    const host = options.publicHost ?? `${addresses.plain.address}:${addresses.plain.port}`;
    const secureHost = addresses.secure === undefined ? undefined : (options.publicSecureHost ?? `${addresses.secure.address}:${addresses.secure.port}`);
    const httpPackages = presignedPackages(options.stores.images, options.httpPackageUrlExpirySeconds ?? 900);
    return new JobExecutor({
      jobs: this.jobs,
      campaigns: options.stores.campaigns,
      registrations: this.registrations,
      devices: this.devices,
      taskId: options.taskId,
      packageUriBase: `coap://${host}`,
      ...(secureHost === undefined ? {} : { securePackageUriBase: `coaps://${secureHost}` }),
      pollIntervalMs: options.jobPollIntervalMs ?? 2_000,
      logger: options.logger,
      ...(options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: options.queueModeAwakeMs }),
      images: this.images,
      pusher: this.pusher,
      ...(httpPackages === undefined ? {} : { httpPackages }),
      ...(options.stateCheckIntervalMs === undefined ? {} : { stateCheckIntervalMs: options.stateCheckIntervalMs }),
      ...(options.deferRetryMs === undefined ? {} : { deferRetryMs: options.deferRetryMs }),
      onJobEnded: (job) => this.events.emit({ kind: 'jobEnded', job }),
    });
  }
}
