/**
 * The LwM2M server, wired: one CoAP transport, the Registration interface at /rd, Send at /dp
 * (telemetry), firmware blocks at /fw, the Device Management requests and the job executor. Where a Register enters: `route` -> RegistrationService; where a
 * job changes state: JobExecutor; where an image byte leaves: FirmwareBlockServer.
 */
import type { Stores } from '../store/Stores.ts';
import { ImageTamperedError } from '../store/errors.ts';
import { CoapTransport, type InboundRequest, type OutboundResponse, type Peer } from './transport/CoapTransport.ts';
import { RegistrationService, type AddressTaken, type RegistrationEvent } from './registration/RegistrationService.ts';
import { FirmwareBlockServer } from './firmware/FirmwareBlockServer.ts';
import { ImageCache } from './firmware/ImageCache.ts';
import { PackagePusher } from './firmware/PackagePusher.ts';
import { JobExecutor, type CancelOutcome, type JobExecutorOptions } from './jobs/JobExecutor.ts';
import type { HttpPackageSource } from './jobs/PackageDelivery.ts';
import type { FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import { DeviceClient } from './devices/DeviceClient.ts';
import { DeviceInfoReader } from './devices/DeviceInfoReader.ts';
import { DownlinkExecutor } from './devices/DownlinkExecutor.ts';
import { SendService } from './reporting/SendService.ts';
import { TelemetryRecorder } from './reporting/TelemetryRecorder.ts';
import { hasFreshDeviceInfo, isRegistrationAlive, type DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import { TelemetrySource } from '../core/devices/Telemetry.ts';
import { defaultObjectRegistry, type ObjectRegistry } from '../core/lwm2m/objectRegistry.ts';
import type { Logger } from './logger.ts';
import { DtlsSocket } from './dtls/DtlsSocket.ts';
import { TransportRouter } from './transport/TransportRouter.ts';
import type { Block1ReceiverOptions } from './transport/Block1Receiver.ts';
import { RevocationWatcher } from './credentials/RevocationWatcher.ts';
import type { JobStore } from '../store/DynamoDbJobStore.ts';
import { observingJobStore } from '../store/PublishingJobStore.ts';
import { PhaseWaker, type TaskTokenSender } from './jobs/PhaseWaker.ts';
import { emfMetricsSink, type MetricsSink } from '../store/metrics.ts';
import { FotaMetric, FotaMetricService } from '../core/metrics.ts';
import { EdgeMetricsReporter, type EdgeMetricCounts } from './metrics/EdgeMetricsReporter.ts';

export interface EdgeOptions {
  readonly stores: Stores;
  readonly taskId: string;
  readonly port: number;
  /** UDP port of CoAPS (DTLS 1.2 PSK); no DTLS listener when absent. */
  readonly securePort?: number;
  /** Host:port devices use in CoAPS Package URIs; defaults to the bound secure address. */
  readonly publicSecureHost?: string;
  /** Serve NoSec CoAP on `port` as well. @default true */
  readonly allowNoSec?: boolean;
  readonly bindAddress?: string;
  /** Host (and port) devices use in Package URIs; defaults to the bound address and port. */
  readonly publicHost?: string;
  readonly jobPollIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  /** Wait for the separate response to a request the device acknowledged (RFC 7252 §5.2.2). @default 60 s */
  readonly separateResponseTimeoutMs?: number;
  readonly imageCacheBytes?: number;
  /** How long a queue-mode device listens after it spoke. @default 93 s (MAX_TRANSMIT_WAIT) */
  readonly queueModeAwakeMs?: number;
  /** Object models for the codecs: the OMA objects plus any loaded from DDF files. */
  readonly objectRegistry?: ObjectRegistry;
  /**
   * Validity of the presigned S3 URLs given to HTTP(S)-pull devices; 0 turns HTTP pull off.
   * Short, since the URL is a bearer credential for the image. @default 900 s
   */
  readonly httpPackageUrlExpirySeconds?: number;
  /** How long a download or install may go without news before the device is read. @default 15 s */
  readonly stateCheckIntervalMs?: number;
  /** Wait before Execute Update again after the device deferred (Update Result 11). @default 60 s */
  readonly deferRetryMs?: number;
  /** Limits of block-wise request bodies (Register, Update, Send in Block1), on both transports. */
  readonly block1?: Block1ReceiverOptions;
  /** How often the revocation log is polled: a revoked key's sessions end within this plus one read. @default 3 s */
  readonly revocationPollIntervalMs?: number;
  /** Block1 pushes in flight at once. @default 32 */
  readonly pushConcurrency?: number;
  /** How often the edge's counters are emitted as EMF metrics on stdout; 0: never on a timer. @default 60_000 */
  readonly metricsIntervalMs?: number;
  /** Where the edge's metrics go. @default EMF on stdout */
  readonly metricsSink?: MetricsSink;
  /** Ends the campaign workflow's phase waits when this edge's jobs of a cohort are done (PhaseWaker); without it the workflow polls. */
  readonly taskTokens?: TaskTokenSender;
  readonly logger: Logger;
}

export class Edge {
  readonly transport: CoapTransport;
  /** CoAPS on `securePort`, when configured. */
  readonly secureTransport: CoapTransport | undefined;
  private dtlsSocket: DtlsSocket | undefined;
  readonly devices: DeviceClient;
  readonly firmware: FirmwareBlockServer;
  readonly images: ImageCache;
  readonly pusher: PackagePusher;
  private readonly registration: RegistrationService;
  private readonly deviceInfo: DeviceInfoReader;
  private readonly telemetry: TelemetryRecorder;
  private readonly send: SendService;
  private executor: JobExecutor | undefined;
  private revocations: RevocationWatcher | undefined;
  private downlink: DownlinkExecutor | undefined;
  private boundPeer: Peer | undefined;
  private secureBoundPeer: Peer | undefined;
  /** Counted here, exported by `metrics`: accepted Registers, and job writes this task applied. */
  private readonly counters = { registrations: 0, jobTransitions: 0 };
  /** The job store every part of this edge writes through, counting applied transitions. */
  private readonly jobs: JobStore;
  private readonly phaseWaker: PhaseWaker | undefined;
  readonly metrics: EdgeMetricsReporter;

  constructor(private readonly options: EdgeOptions) {
    const { stores, logger } = options;
    const phaseWaker = options.taskTokens === undefined ? undefined : new PhaseWaker(stores.campaigns, options.taskTokens, logger);
    this.phaseWaker = phaseWaker;
    this.jobs = observingJobStore(stores.jobs, (_job, _event, after) => {
      this.counters.jobTransitions++;
      phaseWaker?.onTransition(after);
    });
    this.metrics = new EdgeMetricsReporter(() => this.metricCounts(), options.metricsSink ?? emfMetricsSink(FotaMetricService.Edge));
    this.transport = new CoapTransport({
      port: options.port,
      ...(options.bindAddress === undefined ? {} : { address: options.bindAddress }),
      requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
      ...(options.block1 === undefined ? {} : { block1: options.block1 }),
      ...(options.separateResponseTimeoutMs === undefined ? {} : { separateResponseTimeoutMs: options.separateResponseTimeoutMs }),
      onError: (error, context) => logger.warn('transport error', { context, error }),
    });
    this.secureTransport =
      options.securePort === undefined
        ? undefined
        : new CoapTransport({
            port: options.securePort,
            ...(options.bindAddress === undefined ? {} : { address: options.bindAddress }),
            requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
            ...(options.block1 === undefined ? {} : { block1: options.block1 }),
            ...(options.separateResponseTimeoutMs === undefined ? {} : { separateResponseTimeoutMs: options.separateResponseTimeoutMs }),
            onError: (error, context) => logger.warn('secure transport error', { context, error }),
            socketFactory: () => {
              // PSKs come decrypted from the credential store for the handshake only; never logged.
              this.dtlsSocket = new DtlsSocket({ pskLookup: (identity) => stores.credentials.pskFor(identity.toString('utf8')) });
              return this.dtlsSocket;
            },
            securityFor: (peer) => {
              const session = this.dtlsSocket?.sessionFor(peer.address, peer.port);
              return session === undefined ? undefined : { pskIdentity: session.identity };
            },
          });
    const router = new TransportRouter(this.transport, this.secureTransport, (peer) => this.dtlsSocket?.sessionFor(peer.address, peer.port) !== undefined);
    this.devices = new DeviceClient(router, options.objectRegistry ?? defaultObjectRegistry, {
      // One attribute on the registration, so other tasks and a restarted edge ask in it first.
      remember: async (device, negotiatedFormat) => {
        if (device.registrationId === undefined) return;
        try {
          await stores.registrations.update(device.endpoint, device.registrationId, { negotiatedFormat });
        } catch (error) {
          logger.warn('could not remember the content format of a device', { endpoint: device.endpoint, error });
        }
      },
    });
    this.images = new ImageCache(stores.images, options.imageCacheBytes ?? 256 * 1024 * 1024, (imageId, error) =>
      logger.warn('firmware image not served: it cannot be loaded or fails its SHA-256 check', { imageId, error }),
    );
    // A device pulling blocks through this task is reachable from here (its NLB flow is here): its
    // job and registration move to this task, e.g. after its previous task was replaced.
    this.firmware = new FirmwareBlockServer(
      this.jobs,
      this.images,
      Date.now,
      (job, peer) => {
        // takeOver catches and logs what it expects; nothing it does may end the process.
        if (job.ownerTask !== options.taskId) this.executor?.takeOver(job, peer).catch((error: unknown) => logger.error('take-over failed unexpectedly', { endpoint: job.endpoint, error }));
      },
      (job) => this.executor?.onLastBlockServed(job),
    );
    this.pusher = new PackagePusher(this.devices, this.images, { concurrency: options.pushConcurrency ?? 32 });
    this.deviceInfo = new DeviceInfoReader(this.devices, stores.registrations, logger);
    this.registration = new RegistrationService({
      store: stores.registrations,
      taskId: options.taskId,
      onEvent: (event) => this.background(this.onRegistrationEvent(event), 'registration event'),
      credentialOwner: async (identity) => (await stores.credentials.get(identity))?.endpoint,
      onAddressTaken: (taken) => this.background(this.onAddressTaken(taken), 'address taken'),
      dtlsRequired: (endpoint) => stores.credentials.requiresDtls(endpoint),
    });
    this.telemetry = new TelemetryRecorder({ telemetry: stores.telemetry, events: stores.events, logger });
    this.send = new SendService({
      endpointAt: (peer) => this.registration.endpointAt(peer),
      recorder: this.telemetry,
      registry: this.devices.registry,
      onSend: (endpoint) => this.background(this.onDeviceSent(endpoint), 'send'),
    });
    this.transport.onRequest((request) => (options.allowNoSec === false ? Promise.resolve({ code: '4.03', payload: Buffer.from('NoSec is disabled: use CoAPS') }) : this.route(request)));
    this.secureTransport?.onRequest((request) => this.route(request));
  }

  /** The CoAPS address, when DTLS is on. */
  get secureAddress(): Peer | undefined {
    return this.secureBoundPeer;
  }

  get address(): Peer {
    if (this.boundPeer === undefined) throw new Error('edge is not started');
    return this.boundPeer;
  }

  async start(): Promise<Peer> {
    this.boundPeer = await this.transport.start();
    if (this.secureTransport !== undefined) {
      await this.watchRevocations();
      this.secureBoundPeer = await this.secureTransport.start();
    }
    const host = this.options.publicHost ?? `${this.boundPeer.address}:${this.boundPeer.port}`;
    this.executor = new JobExecutor({
      jobs: this.jobs,
      registrations: this.options.stores.registrations,
      devices: this.devices,
      taskId: this.options.taskId,
      packageUriBase: `coap://${host}`,
      ...(this.secureBoundPeer === undefined ? {} : { securePackageUriBase: `coaps://${this.options.publicSecureHost ?? `${this.secureBoundPeer.address}:${this.secureBoundPeer.port}`}` }),
      pollIntervalMs: this.options.jobPollIntervalMs ?? 2_000,
      logger: this.options.logger,
      ...(this.options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: this.options.queueModeAwakeMs }),
      ...this.deliveryOptions(),
    });
    this.executor.start();
    this.downlink = new DownlinkExecutor({
      requests: this.options.stores.requests,
      registrations: this.options.stores.registrations,
      devices: this.devices,
      taskId: this.options.taskId,
      pollIntervalMs: this.options.jobPollIntervalMs ?? 2_000,
      logger: this.options.logger,
      onNotification: (notification) => {
        this.telemetry.record(notification.endpoint, notification.entries, TelemetrySource.Notification).catch((error: unknown) => {
          this.options.logger.warn('notification not recorded', { endpoint: notification.endpoint, error });
        });
      },
      ...(this.options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: this.options.queueModeAwakeMs }),
    });
    this.downlink.start();
    const metricsIntervalMs = this.options.metricsIntervalMs ?? 60_000;
    if (metricsIntervalMs > 0) this.metrics.start(metricsIntervalMs);
    this.options.logger.info('edge listening', { address: this.boundPeer.address, port: this.boundPeer.port, taskId: this.options.taskId });
    return this.boundPeer;
  }

  /** Revoked or replaced keys end their live DTLS sessions: at once for this process's own store, by polling for the others'. */
  private async watchRevocations(): Promise<void> {
    const { stores, logger } = this.options;
    this.revocations = new RevocationWatcher({
      revocationLog: () => stores.credentials.revocationLog(),
      revoke: (identity) => this.dtlsSocket?.revoke(identity),
      revokeAll: () => this.dtlsSocket?.revokeAll(),
      pollIntervalMs: this.options.revocationPollIntervalMs ?? 3_000,
      logger,
    });
    await this.revocations.start();
    stores.credentials.onRevoked((identity) => this.dtlsSocket?.revoke(identity));
  }

  /** Cancels a job's download on its device (object 5 Cancel, or a reset) and the job itself. */
  cancelDownload(job: FirmwareJob, reason?: string): Promise<CancelOutcome> {
    if (this.executor === undefined) return Promise.reject(new Error('edge is not started'));
    return this.executor.cancelDownload(job, reason);
  }

  /** How the job executor delivers packages: CoAP pull from the cache, push, HTTP(S) pull from S3. */
  private deliveryOptions(): Pick<JobExecutorOptions, 'images' | 'pusher' | 'httpPackages' | 'stateCheckIntervalMs' | 'deferRetryMs' | 'onJobEnded'> {
    const { stateCheckIntervalMs, deferRetryMs } = this.options;
    const httpPackages = this.httpPackages();
    return {
      images: this.images,
      pusher: this.pusher,
      ...(httpPackages === undefined ? {} : { httpPackages }),
      ...(stateCheckIntervalMs === undefined ? {} : { stateCheckIntervalMs }),
      ...(deferRetryMs === undefined ? {} : { deferRetryMs }),
      // A job that ended here stops its Package URI token at once, not when the lookup cache expires.
      onJobEnded: (job) => this.firmware.revoke(job.downloadToken),
    };
  }

  /** Presigned GET URLs from the stores' S3 client and image bucket (HTTP(S) pull), unless switched off. */
  private httpPackages(): HttpPackageSource | undefined {
    const expiresIn = this.options.httpPackageUrlExpirySeconds ?? 900;
    if (expiresIn <= 0) return undefined;
    const registry = this.options.stores.images;
    return {
      scheme: registry.downloadScheme,
      presign: async (imageId) => {
        const image = await registry.get(imageId);
        if (image?.verified !== true) return undefined;
        // A URL only for the verified version, while it still is the verified object (else the image is now TAMPERED).
        return registry.presignDownload(image, expiresIn).catch((error: unknown) => {
          if (error instanceof ImageTamperedError) return undefined;
          throw error;
        });
      },
    };
  }

  /**
   * Graceful shutdown (SIGTERM in a Fargate task being replaced): job steps in flight finish their
   * writes within `graceMs` while the transport keeps answering (blocks for downloads under way,
   * registrations), no new step starts; then the edge stops. Devices come back through another
   * task, which takes their jobs over.
   */
  async drain(graceMs: number): Promise<{ unfinishedSteps: number }> {
    this.downlink?.stop();
    const unfinishedSteps = (await this.executor?.drain(graceMs)) ?? 0;
    await this.stop();
    return { unfinishedSteps };
  }

  async stop(): Promise<void> {
    this.metrics.stop();
    this.phaseWaker?.stop();
    this.executor?.stop();
    this.downlink?.stop();
    await this.revocations?.stop();
    await this.transport.stop();
    await this.secureTransport?.stop();
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

  /** The job executor's counters: take-overs, deadlines enforced, background rejections logged. */
  /** Failures of the edge's own background work (the job executor counts its own). */
  readonly faults = { backgroundRejections: 0 };

  /**
   * Runs work nobody awaits (handlers of registration events, Send, address changes): a rejection
   * is logged once, here, and counted in the health endpoint, never left unhandled (which ends a
   * Node 20 process).
   */
  private background(work: Promise<unknown>, what: string): void {
    work.catch((error: unknown) => {
      this.faults.backgroundRejections++;
      this.options.logger.error('unexpected failure in background work', { what, error });
    });
  }

  get jobStats(): { readonly takenOver: number; readonly unexpectedRejections: number; readonly deadlinesEnforced: number } {
    return this.executor?.stats ?? { takenOver: 0, unexpectedRejections: 0, deadlinesEnforced: 0 };
  }

  /** Jobs this task took over from another task because their devices download through it. */
  get takenOverJobs(): number {
    return this.executor?.stats.takenOver ?? 0;
  }

  /** Observations this task holds for a device (paths per observation). */
  observations(endpoint: string): string[][] {
    return this.downlink?.activeObservations(endpoint) ?? [];
  }

  /** A Send shows a queue-mode device awake (LwM2M 1.1 §6.5): deliver what waits for it. */
  private async onDeviceSent(endpoint: string): Promise<void> {
    try {
      const registration = await this.options.stores.registrations.get(endpoint);
      const now = Date.now();
      if (registration === undefined || !registration.queueMode || !isRegistrationAlive(registration, now)) return;
      await this.downlink?.onDeviceAwake({ ...registration, lastSeen: now }, false);
    } catch (error) {
      this.options.logger.warn('downlink after Send failed', { endpoint, error });
    }
  }

  /**
   * A device heard from a new address (rebooted, NAT rebinding, or its NLB flow moved here from
   * another task) no longer answers at the old one: requests still waiting there give up now.
   */
  private abandonOldAddress(current: DeviceRegistration, previous: DeviceRegistration | undefined): void {
    if (previous === undefined || (previous.address === current.address && previous.port === current.port)) return;
    const old = { address: previous.address, port: previous.port };
    const given = this.transport.abandonPeer(old, `${current.endpoint} moved to ${current.address}:${current.port}`) + (this.secureTransport?.abandonPeer(old, `${current.endpoint} moved`) ?? 0);
    if (given > 0) this.options.logger.debug('gave up requests to an old device address', { endpoint: current.endpoint, requests: given });
  }

  /**
   * NoSec: another endpoint registered from the address a device was known at (the device slept
   * and a new process got its port). What the transports kept for the address goes at once; the
   * device's registration is marked so no task sends to that address for it until it speaks again.
   */
  private async onAddressTaken(taken: AddressTaken): Promise<void> {
    const reason = `${taken.by} registered from ${taken.peer.address}:${taken.peer.port}`;
    this.transport.forgetPeer(taken.peer, reason);
    this.secureTransport?.forgetPeer(taken.peer, reason);
    try {
      const registration = await this.options.stores.registrations.get(taken.endpoint);
      if (registration === undefined || registration.address !== taken.peer.address || registration.port !== taken.peer.port) return;
      await this.options.stores.registrations.update(taken.endpoint, registration.registrationId, { addressTakenAt: Date.now() });
      this.options.logger.info('device address taken by another endpoint: nothing is sent there for it until it speaks again', { endpoint: taken.endpoint, by: taken.by });
    } catch (error) {
      this.options.logger.warn('could not mark a device address as taken', { endpoint: taken.endpoint, error });
    }
  }

  /** The cumulative counters behind the edge's metrics (core/metrics.ts). */
  metricCounts(): EdgeMetricCounts {
    const dtls = this.dtlsSocket?.stats;
    return {
      [FotaMetric.Registrations]: this.counters.registrations,
      [FotaMetric.BlocksServed]: this.firmware.stats.blocksServed,
      [FotaMetric.JobTransitions]: this.counters.jobTransitions,
      [FotaMetric.HandshakesRejected]: dtls?.handshakesRejected ?? 0,
      [FotaMetric.HandshakesFailed]: dtls?.handshakesFailed ?? 0,
      [FotaMetric.HandshakesCompleted]: dtls?.handshakesCompleted ?? 0,
      [FotaMetric.CampaignsAborted]: 0,
    };
  }

  private async onRegistrationEvent(event: RegistrationEvent): Promise<void> {
    if (event.kind === 'registered') this.counters.registrations++;
    try {
      if (event.kind !== 'deregistered') this.abandonOldAddress(event.registration, event.previous);
      if (event.kind === 'registered') this.devices.forgetFormats(event.registration.endpoint);
      // After a Register; after an Update too when that read was lost (the device's NLB flow
      // moved to this task before the previous owner's read reached it).
      if (event.kind === 'registered' || (event.kind === 'updated' && !hasFreshDeviceInfo(event.registration))) await this.deviceInfo.refresh(event.registration);
      if (event.kind !== 'deregistered') await this.downlink?.onDeviceAwake(event.registration, event.kind === 'registered');
      await this.executor?.onRegistration(event);
    } catch (error) {
      this.options.logger.warn('registration follow-up failed', { event: event.kind, error });
    }
  }
}
