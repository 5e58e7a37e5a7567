/**
 * The LwM2M server, wired: one CoAP transport, the Registration interface at /rd, firmware blocks
 * at /fw, and the job executor. Where a Register enters: `route` -> RegistrationService; where a
 * job changes state: JobExecutor; where an image byte leaves: FirmwareBlockServer.
 */
import type { Stores } from '../store/Stores.ts';
import { CoapTransport, type InboundRequest, type OutboundResponse, type Peer } from './transport/CoapTransport.ts';
import { RegistrationService, type RegistrationEvent } from './registration/RegistrationService.ts';
import { FirmwareBlockServer } from './firmware/FirmwareBlockServer.ts';
import { ImageCache } from './firmware/ImageCache.ts';
import { JobExecutor } from './jobs/JobExecutor.ts';
import { DeviceClient } from './devices/DeviceClient.ts';
import { DeviceInfoReader } from './devices/DeviceInfoReader.ts';
import { DownlinkExecutor } from './devices/DownlinkExecutor.ts';
import type { Logger } from './logger.ts';

export interface EdgeOptions {
  readonly stores: Stores;
  readonly taskId: string;
  readonly port: number;
  readonly bindAddress?: string;
  /** Host (and port) devices use in Package URIs; defaults to the bound address and port. */
  readonly publicHost?: string;
  readonly jobPollIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly imageCacheBytes?: number;
  /** How long a queue-mode device listens after it spoke. @default 93 s (MAX_TRANSMIT_WAIT) */
  readonly queueModeAwakeMs?: number;
  readonly logger: Logger;
}

export class Edge {
  readonly transport: CoapTransport;
  readonly devices: DeviceClient;
  readonly firmware: FirmwareBlockServer;
  readonly images: ImageCache;
  private readonly registration: RegistrationService;
  private readonly deviceInfo: DeviceInfoReader;
  private executor: JobExecutor | undefined;
  private downlink: DownlinkExecutor | undefined;
  private boundPeer: Peer | undefined;

  constructor(private readonly options: EdgeOptions) {
    const { stores, logger } = options;
    this.transport = new CoapTransport({
      port: options.port,
      ...(options.bindAddress === undefined ? {} : { address: options.bindAddress }),
      requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
      onError: (error, context) => logger.warn('transport error', { context, error }),
    });
    this.devices = new DeviceClient(this.transport);
    this.images = new ImageCache(stores.images, options.imageCacheBytes ?? 256 * 1024 * 1024);
    this.firmware = new FirmwareBlockServer(stores.jobs, this.images);
    this.deviceInfo = new DeviceInfoReader(this.devices, stores.registrations, logger);
    this.registration = new RegistrationService({
      store: stores.registrations,
      taskId: options.taskId,
      onEvent: (event) => void this.onRegistrationEvent(event),
    });
    this.transport.onRequest((request) => this.route(request));
  }

  get address(): Peer {
    if (this.boundPeer === undefined) throw new Error('edge is not started');
    return this.boundPeer;
  }

  async start(): Promise<Peer> {
    this.boundPeer = await this.transport.start();
    const host = this.options.publicHost ?? `${this.boundPeer.address}:${this.boundPeer.port}`;
    this.executor = new JobExecutor({
      jobs: this.options.stores.jobs,
      registrations: this.options.stores.registrations,
      devices: this.devices,
      taskId: this.options.taskId,
      packageUriBase: `coap://${host}`,
      pollIntervalMs: this.options.jobPollIntervalMs ?? 2_000,
      logger: this.options.logger,
      ...(this.options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: this.options.queueModeAwakeMs }),
    });
    this.executor.start();
    this.downlink = new DownlinkExecutor({
      requests: this.options.stores.requests,
      registrations: this.options.stores.registrations,
      devices: this.devices,
      taskId: this.options.taskId,
      pollIntervalMs: this.options.jobPollIntervalMs ?? 2_000,
      logger: this.options.logger,
      ...(this.options.queueModeAwakeMs === undefined ? {} : { queueModeAwakeMs: this.options.queueModeAwakeMs }),
    });
    this.downlink.start();
    this.options.logger.info('edge listening', { address: this.boundPeer.address, port: this.boundPeer.port, taskId: this.options.taskId });
    return this.boundPeer;
  }

  async stop(): Promise<void> {
    this.executor?.stop();
    this.downlink?.stop();
    await this.transport.stop();
  }

  private route(request: InboundRequest): Promise<OutboundResponse> {
    switch (request.pathSegments[0]) {
      case 'rd':
        return this.registration.handle(request);
      case 'fw':
        return this.firmware.handle(request);
      default:
        return Promise.resolve({ code: '4.04' });
    }
  }

  private async onRegistrationEvent(event: RegistrationEvent): Promise<void> {
    try {
      if (event.kind === 'registered') await this.deviceInfo.refresh(event.registration);
      if (event.kind !== 'deregistered') await this.downlink?.onDeviceAwake(event.registration, event.kind === 'registered');
      await this.executor?.onRegistration(event);
    } catch (error) {
      this.options.logger.warn('registration follow-up failed', { event: event.kind, error });
    }
  }
}
