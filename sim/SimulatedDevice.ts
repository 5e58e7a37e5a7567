/**
 * An honest LwM2M client over real UDP (objects 1, 3 and 5): it registers, answers Read, Write,
 * Execute and Observe, downloads its Package URI block-wise, checks the package, goes
 * Downloading -> Downloaded, on Execute goes Updating, "reboots", and registers again from a new
 * port reporting the new firmware version and Update Result 1.
 */
import { createSocket, type Socket } from 'node:dgram';
import coap from 'coap';
import { ContentFormat } from '../core/lwm2m/ContentFormat.ts';
import { LwM2mPath } from '../core/lwm2m/LwM2mPath.ts';
import { FirmwareDeliveryMethod, FirmwarePath, FirmwareUpdateResult, FirmwareUpdateState } from '../core/lwm2m/firmwareUpdate.ts';
import { encodeContent, decodeContent } from '../core/codecs/index.ts';
import type { LwM2mEntry, ResourceValue } from '../core/codecs/model.ts';
import { szxForSize } from '../core/lwm2m/blockwise.ts';
import { acceptOf, contentFormatOf, rawOption, uintOption } from './coapMessages.ts';
import { parseFirmwarePackage } from './firmwarePackage.ts';
import { BLOCK1_SET_ASIDE, BlockwisePull, PackageReceiver, interceptBlock1, pullHttp } from './firmwareTransfer.ts';
import { SimulatedObjects } from './SimulatedObjects.ts';
import { answeredByQuirk, dropRequestsWithUnknownAccept, type ClientQuirks, type ReceivedRequest } from './clientQuirks.ts';

export interface SimulatedDeviceOptions extends ClientQuirks {
  readonly endpoint: string;
  readonly serverHost?: string;
  readonly serverPort: number;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly firmwareVersion?: string;
  readonly lwm2mVersion?: '1.0' | '1.1' | '1.2';
  /** Temperature (3303) instances the device starts with, for Create/Delete, Observe and composite operations. */
  readonly temperatureSensors?: number;
  /** IANA time zone reported in /3/0/15. */
  readonly timeZone?: string;
  readonly lifetimeSeconds?: number;
  /** Block size the device asks for when pulling (16..1024). */
  readonly blockSize?: number;
  readonly rebootDelayMs?: number;
  /** Fail the download with this Update Result (2..9) instead of succeeding. */
  readonly downloadFailure?: number;
  /** Fail the update with this Update Result (e.g. 8) instead of succeeding. */
  readonly updateFailure?: number;
  /** Queue mode: after each Register or Update the device listens for this long, then sleeps. */
  readonly queueModeAwakeMs?: number;
  /** /5/0/8, the protocols it pulls with: 0 CoAP, 1 CoAPS, 2 HTTP, 3 HTTPS. @default [0] */
  readonly protocols?: readonly number[];
  /** /5/0/9: 0 pull, 1 push (Write /5/0/0 with Block1), 2 both. @default 0 */
  readonly deliveryMethod?: 0 | 1 | 2;
  /** Defer the first N Execute Updates: stay Downloaded with Update Result 11. */
  readonly deferUpdates?: number;
  /** Block size it asks for in its 2.31 answers to a push. @default 1024 */
  readonly pushBlockSize?: number;
  /** Largest Block1 block of a push it takes; a larger one gets 4.13 with Size1. @default 1024 */
  readonly pushMaxBlockSize?: number;
  /** Lose the connection after this many blocks of a CoAP pull, then resume from the next block. */
  readonly pullInterruptAfterBlocks?: number;
  /** How long the connection stays lost. @default 100 ms */
  readonly pullResumeDelayMs?: number;
  /**
   * How long a CoAP pull waits for the answer to one block before the download fails with Update
   * Result 4 (sends stop after 2 s either way). Shortened for tests; RFC 7252's MAX_TRANSMIT_WAIT is 93 s. @default 2000
   */
  readonly blockTimeoutMs?: number;
}

/** Formats a 1.0 client must speak (TLV) versus what a 1.1 client of ours speaks. */
const FORMATS_1_0: ReadonlySet<number> = new Set([ContentFormat.TEXT, ContentFormat.OPAQUE, ContentFormat.TLV, ContentFormat.LINK_FORMAT]);

type Resources = Map<string, ResourceValue>;

export class SimulatedDevice {
  state: FirmwareUpdateState = FirmwareUpdateState.Idle;
  result: FirmwareUpdateResult = FirmwareUpdateResult.Initial;
  firmwareVersion: string;
  registrations = 0;
  blocksFetched = 0;
  private socket: Socket | undefined;
  private server: coap.Server | undefined;
  private agent: coap.Agent | undefined;
  private location: string | undefined;
  private pendingVersion: string | undefined;
  private readonly stateObservers = new Set<(state: number) => void>();
  private stopped = false;
  private asleepAfter = Number.POSITIVE_INFINITY;
  readonly attributes = new Map<string, string>();
  readonly writes: { path: string; value: string }[] = [];
  requestsWhileAsleep = 0;
  /** Execute Update commands that started an update: a device must never be told twice. */
  updatesExecuted = 0;
  /** Each Execute /5/0/2 received (CoAP retransmissions excluded), when, and what object 5 was then. */
  /** Errors of the device's own background work (a download, an update), for tests to assert on. */
  readonly faults: { readonly during: 'download' | 'update'; readonly error: unknown }[] = [];
  readonly executeLog: { at: number; state: number; result: number; messageId: number | undefined }[] = [];

  /** Execute Update requests received: more than one means the device was told to install twice. */
  get updateExecutesReceived(): number {
    return this.executeLog.length;
  }
  /** What object 5 went through: Package URIs written, blocks pushed, updates deferred, cancels, a resumed pull. */
  readonly firmwareLog = { packageUris: [] as string[], pushedBlocks: 0, deferredUpdates: 0, cancels: 0, resumedFromBlock: undefined as number | undefined };
  private packageReceiver: PackageReceiver | undefined;
  /** Bumped by every new download, cancel or reset: a transfer that finds it changed was superseded. */
  private transfer = 0;
  private lastStateChange = Date.now();
  private deferralsLeft: number;
  /** Temperature instances, observations and the composite operations (sim/SimulatedObjects.ts). */
  readonly objects: SimulatedObjects;
  /** Every request that reached the device, and what it did with it. */
  readonly receivedRequests: ReceivedRequest[] = [];

  constructor(private readonly options: SimulatedDeviceOptions) {
    this.firmwareVersion = options.firmwareVersion ?? '1.0.0';
    this.deferralsLeft = options.deferUpdates ?? 0;
    this.objects = new SimulatedObjects(
      {
        lwm2mVersion: options.lwm2mVersion ?? '1.1',
        baseResources: () => this.resources(),
        isBaseWritable: (path) => WRITABLE.has(path),
        writeBase: (path, value) => {
          this.writes.push({ path, value: String(value) });
          this.written.set(path, typeof value === 'number' || typeof value === 'string' ? value : String(value));
        },
      },
      options.temperatureSensors ?? 0,
    );
  }

  get endpoint(): string {
    return this.options.endpoint;
  }

  get port(): number | undefined {
    return this.socket?.address().port;
  }

  /** Opens a new socket (a new source port, as after a reboot behind NAT) and registers. */
  async start(): Promise<void> {
    this.stopped = false;
    const socket = await bindUnheldPort();
    this.socket = socket;
    this.server = coap.createServer({ piggybackReplyMs: 500 });
    this.server.on('request', (req: coap.IncomingMessage, res: coap.OutgoingMessage) => this.onRequest(req, res));
    interceptBlock1(this.server);
    dropRequestsWithUnknownAccept(this.server, this.options, this.receivedRequests);
    this.server.listen(socket);
    this.agent = new coap.Agent({ socket });
    await this.register();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.closeSocket();
  }

  /**
   * A power cycle: a download in progress is lost (object 5 back to Idle, Update Result 4), and the
   * device registers again from a new port without De-register.
   */
  async reboot(): Promise<void> {
    this.transfer++;
    if (this.state === FirmwareUpdateState.Downloading) {
      this.state = FirmwareUpdateState.Idle;
      this.result = FirmwareUpdateResult.ConnectionLost;
    }
    await this.closeSocket();
    await this.start();
  }

  private async closeSocket(): Promise<void> {
    this.stateObservers.clear();
    const socket = this.socket;
    this.socket = undefined;
    this.server?.close();
    // Stops the retransmissions of requests still outstanding, which would send on a closed socket.
    this.agent?.close();
    this.agent = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private async register(): Promise<void> {
    const version = this.options.lwm2mVersion ?? '1.1';
    const announced = this.options.announcedFormats;
    const ct = announced !== undefined
      ? (announced.length === 0 ? '' : `;ct="${announced.join(' ')}"`)
      : version === '1.0' ? '' : `;ct="${version === '1.2' ? `${ContentFormat.LWM2M_CBOR} ` : ''}${ContentFormat.SENML_CBOR} ${ContentFormat.TLV}"`;
    const links = [`</>;rt="oma.lwm2m"${ct},</1/0>,</3/0>,</5/0>`, ...this.objects.links()].join(',');
    const queue = this.options.queueModeAwakeMs === undefined ? '' : version === '1.0' ? 'Q' : '&Q';
    const query = `ep=${encodeURIComponent(this.endpoint)}&lt=${this.options.lifetimeSeconds ?? 300}&lwm2m=${version}&b=U${queue}`;
    const response = await this.send({ method: 'POST', pathname: '/rd', query, payload: Buffer.from(links), contentFormat: ContentFormat.LINK_FORMAT });
    if (response.code !== '2.01') throw new Error(`${this.endpoint}: registration refused with ${response.code}`);
    const options = (response as unknown as { options?: { name: string; value: unknown }[] }).options ?? [];
    const location = options.filter((o) => o.name === 'Location-Path').map((o) => String(o.value));
    this.location = `/${location.join('/')}`;
    this.registrations++;
    this.stayAwake();
  }

  /** Queue mode: listen for the awake window from now on. */
  private stayAwake(): void {
    if (this.options.queueModeAwakeMs !== undefined) this.asleepAfter = Date.now() + this.options.queueModeAwakeMs;
  }

  get asleep(): boolean {
    return Date.now() > this.asleepAfter;
  }

  /** Sends a registration Update (keeps the registration alive, tells the server we are awake). */
  async update(): Promise<string> {
    if (this.location === undefined) throw new Error('not registered');
    this.stayAwake();
    const code = (await this.send({ method: 'POST', pathname: this.location })).code;
    // 4.04: the server no longer knows the registration (it expired): a client registers again.
    if (code === '4.04' && !this.stopped) await this.register();
    return code;
  }

  /** Send (LwM2M 1.1 §6.4.7): POSTs the values under `paths` to /dp; returns the server's code. */
  async sendData(paths: readonly string[], format: number = ContentFormat.SENML_CBOR): Promise<string> {
    return this.sendPayload(this.objects.sendPayload(paths, format), format);
  }

  /** POSTs any payload to /dp, e.g. in a format Send does not allow. */
  async sendPayload(payload: Buffer, contentFormat: number): Promise<string> {
    return (await this.send({ method: 'POST', pathname: '/dp', payload, contentFormat })).code;
  }

  private send(request: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; pathname: string; query?: string; payload?: Buffer; contentFormat?: number; block2?: Buffer }): Promise<coap.IncomingMessage> {
    const agent = this.agent;
    if (agent === undefined) return Promise.reject(new Error('device is not started'));
    return new Promise((resolve, reject) => {
      const req = agent.request({
        hostname: this.options.serverHost ?? '127.0.0.1',
        port: this.options.serverPort,
        method: request.method,
        pathname: request.pathname,
        ...(request.query === undefined ? {} : { query: request.query }),
      });
      if (request.contentFormat !== undefined) req.setOption('Content-Format', uintOption(request.contentFormat));
      if (request.block2 !== undefined) req.setOption('Block2', request.block2);
      req.on('response', resolve);
      req.on('error', reject);
      req.on('timeout', reject);
      req.end(request.payload);
    });
  }

  private onRequest(req: coap.IncomingMessage, res: coap.OutgoingMessage): void {
    if (this.asleep) {
      // A sleeping device's radio is off: the request is simply lost.
      this.requestsWhileAsleep++;
      return;
    }
    if (answeredByQuirk(req, res, this.options, this.receivedRequests)) return;
    try {
      if (this.objects.handle(req, res)) return;
    } catch {
      res.code = '5.00';
      res.end();
      return;
    }
    const parsed = LwM2mPath.parse(req.url.split('?')[0] ?? '');
    if (!parsed.success || parsed.data.objectId === undefined) {
      res.code = '4.00';
      res.end();
      return;
    }
    const path = parsed.data;
    try {
      switch (req.method) {
        case 'GET':
          this.read(req, res, path);
          return;
        case 'PUT':
          this.write(req, res, path);
          return;
        case 'POST':
          this.execute(res, path);
          return;
        default:
          res.code = '4.05';
          res.end();
      }
    } catch {
      res.code = '5.00';
      res.end();
    }
  }

  private read(req: coap.IncomingMessage, res: coap.OutgoingMessage, path: LwM2mPath): void {
    const entries = this.entriesUnder(path);
    if (entries.length === 0) {
      res.code = '4.04';
      res.end();
      return;
    }
    const accept = acceptOf(req);
    if (accept === ContentFormat.LINK_FORMAT) {
      res.code = '2.05';
      res.setOption('Content-Format', uintOption(ContentFormat.LINK_FORMAT));
      res.end(this.discover(path));
      return;
    }
    if (accept !== undefined && this.options.lwm2mVersion === '1.0' && !FORMATS_1_0.has(accept)) {
      res.code = '4.06';
      res.end();
      return;
    }
    const single = path.resourceId !== undefined && entries.length === 1;
    const format = accept ?? (single ? ContentFormat.TEXT : this.options.lwm2mVersion === '1.0' ? ContentFormat.TLV : ContentFormat.SENML_CBOR);
    const encode = (): Buffer | undefined => {
      const encoded = encodeContent(format, this.entriesUnder(path), path);
      return encoded.success ? encoded.data : undefined;
    };
    const payload = encode();
    if (payload === undefined) {
      res.code = '4.06';
      res.end();
      return;
    }
    res.code = '2.05';
    res.setOption('Content-Format', uintOption(format));
    if (req.headers['Observe'] === 0 && (path.toString() === FirmwarePath.State || path.toString() === FirmwarePath.UpdateResult)) {
      res.write(payload);
      const notify = (): void => {
        const next = encode();
        if (next !== undefined) res.write(next);
      };
      this.stateObservers.add(notify);
      res.on('finish', () => this.stateObservers.delete(notify));
      res.on('error', () => this.stateObservers.delete(notify));
      return;
    }
    res.end(payload);
  }

  private write(req: coap.IncomingMessage, res: coap.OutgoingMessage, path: LwM2mPath): void {
    const query = req.url.split('?')[1];
    if (query !== undefined && req.payload.length === 0) {
      // Write-Attributes: PUT with the attributes as query parameters.
      for (const pair of query.split('&')) this.attributes.set(`${path.toString()} ${pair.split('=')[0] ?? ''}`, pair.split('=')[1] ?? '');
      res.code = '2.04';
      res.end();
      return;
    }
    if (WRITABLE.has(path.toString())) {
      const decoded = decodeContent(contentFormatOf(req) ?? ContentFormat.TEXT, req.payload, path);
      const value = decoded.success ? decoded.data[0]?.value : undefined;
      if (value === undefined) {
        res.code = '4.00';
        res.end();
        return;
      }
      this.writes.push({ path: path.toString(), value: String(value) });
      this.written.set(path.toString(), typeof value === 'number' || typeof value === 'string' ? value : String(value));
      res.code = '2.04';
      res.end();
      return;
    }
    if (path.toString() === FirmwarePath.Package) {
      this.receivePackage(req, res);
      return;
    }
    if (path.toString() !== FirmwarePath.PackageUri) {
      res.code = '4.05';
      res.end();
      return;
    }
    const format = contentFormatOf(req) ?? ContentFormat.TEXT;
    const decoded = decodeContent(format, req.payload, path);
    const uri = decoded.success ? decoded.data[0]?.value : undefined;
    if (typeof uri !== 'string' || (uri !== '' && this.options.deliveryMethod === FirmwareDeliveryMethod.Push)) {
      // A push-only device has no pull to start.
      res.code = typeof uri !== 'string' ? '4.00' : '4.05';
      res.end();
      return;
    }
    res.code = '2.04';
    res.end();
    if (uri === '') {
      this.transfer++;
      this.pendingVersion = undefined;
      this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.Initial);
      return;
    }
    this.firmwareLog.packageUris.push(uri);
    this.download(uri).catch((error: unknown) => this.recordFault('download', error));
  }

  private execute(res: coap.OutgoingMessage, path: LwM2mPath): void {
    if (path.toString() === FirmwarePath.Cancel && this.options.lwm2mVersion !== '1.0') {
      this.cancelDownload(res);
      return;
    }
    if (path.toString() !== FirmwarePath.Update) {
      res.code = path.objectId === 5 || path.objectId === 3 ? '4.05' : '4.04';
      res.end();
      return;
    }
    this.executeLog.push({ at: Date.now(), state: this.state, result: this.result, messageId: (res as unknown as { _packet?: { messageId?: number } })._packet?.messageId });
    if (this.state !== FirmwareUpdateState.Downloaded) {
      res.code = '4.05';
      res.end();
      return;
    }
    res.code = '2.04';
    res.end();
    if (this.deferralsLeft > 0) {
      // The user postponed it (object 5 v1.1): still Downloaded, Update Result 11.
      this.deferralsLeft--;
      this.firmwareLog.deferredUpdates++;
      this.setState(FirmwareUpdateState.Downloaded, FirmwareUpdateResult.Deferred);
      return;
    }
    this.updatesExecuted++;
    this.setState(FirmwareUpdateState.Updating, FirmwareUpdateResult.Initial);
    setTimeout(() => {
      this.applyUpdate().catch((error: unknown) => this.recordFault('update', error));
    }, this.options.rebootDelayMs ?? 50);
  }

  private recordFault(during: 'download' | 'update', error: unknown): void {
    this.faults.push({ during, error });
  }

  private async download(uri: string): Promise<void> {
    const transfer = ++this.transfer;
    this.setState(FirmwareUpdateState.Downloading, FirmwareUpdateResult.Initial);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.InvalidUri);
      return;
    }
    // Only the schemes it lists in /5/0/8; CoAPS would need DTLS, which the simulator does not speak.
    const protocol = PROTOCOL_BY_SCHEME[url.protocol];
    if (protocol === undefined || protocol === 1 || !(this.options.protocols ?? [0]).includes(protocol)) {
      this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.UnsupportedProtocol);
      return;
    }
    try {
      const outcome = protocol === 0 ? await this.pullCoap(url, transfer) : await pullHttp(url);
      if (transfer !== this.transfer) return;
      if (outcome.kind === 'refused') {
        this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.InvalidUri);
        return;
      }
      this.checkPackage(outcome.bytes);
    } catch {
      if (transfer === this.transfer) this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.ConnectionLost);
    }
  }

  private async applyUpdate(): Promise<void> {
    if (this.stopped) return;
    if (this.options.updateFailure !== undefined || this.pendingVersion === undefined) {
      this.setState(FirmwareUpdateState.Downloaded, this.options.updateFailure ?? FirmwareUpdateResult.UpdateFailed);
      return;
    }
    // "Reboot": the new image runs, the session is gone, the device registers from a new port.
    this.firmwareVersion = this.pendingVersion;
    this.pendingVersion = undefined;
    this.state = FirmwareUpdateState.Idle;
    this.result = FirmwareUpdateResult.Success;
    await this.closeSocket();
    if (this.stopped) return;
    await this.start();
  }

  private setState(state: FirmwareUpdateState, result: FirmwareUpdateResult): void {
    if (state !== this.state) this.lastStateChange = Date.now();
    this.state = state;
    this.result = result;
    for (const notify of this.stateObservers) notify(state);
  }

  private readonly written = new Map<string, string | number>();

  private discover(path: LwM2mPath): string {
    const links = [`<${path.toString()}>`];
    for (const entry of this.entriesUnder(path)) {
      const target = entry.path.resourceInstanceId === undefined ? entry.path.toString() : entry.path.parent().toString();
      if (!links.includes(`<${target}>`)) links.push(`<${target}>`);
    }
    return links.join(',');
  }

  private resources(): Resources {
    return new Map<string, ResourceValue>([
      ['/1/0/0', 1],
      ['/1/0/1', this.options.lifetimeSeconds ?? 300],
      ['/1/0/7', 'U'],
      ['/3/0/0', this.options.manufacturer ?? 'Simulated Meters Inc.'],
      ['/3/0/1', this.options.model ?? 'SIM-100'],
      ['/3/0/2', `SN-${this.endpoint}`],
      ['/3/0/3', this.firmwareVersion],
      ['/3/0/9', 87],
      ...(this.options.timeZone === undefined ? [] : ([['/3/0/15', this.options.timeZone]] as [string, ResourceValue][])),
      [FirmwarePath.PackageUri, ''],
      [FirmwarePath.State, this.state],
      [FirmwarePath.UpdateResult, this.result],
      ...this.firmwareResources(),
      ...this.written,
    ]);
  }

  private entriesUnder(path: LwM2mPath): LwM2mEntry[] {
    const entries: LwM2mEntry[] = [];
    for (const [key, value] of this.resources()) {
      const parsed = LwM2mPath.parse(key);
      if (parsed.success && (path.isPrefixOf(parsed.data) || path.equals(parsed.data))) entries.push({ path: parsed.data, value });
    }
    return entries;
  }

  // Object 5 delivery (sim/firmwareTransfer.ts does the block-wise work).

  /** Lock-step Block2 pull; with `pullInterruptAfterBlocks` it loses the connection once and resumes. */
  private async pullCoap(url: URL, transfer: number): Promise<{ kind: 'ok'; bytes: Buffer } | { kind: 'refused'; code: string }> {
    const pull = new BlockwisePull(url, szxForSize(this.options.blockSize ?? 512) ?? 5, this.options.blockTimeoutMs);
    try {
      const interruptAfter = this.options.pullInterruptAfterBlocks;
      if (interruptAfter !== undefined) {
        const first = await pull.fetch(interruptAfter);
        if (first.kind === 'refused') return first;
        await new Promise((resolve) => setTimeout(resolve, this.options.pullResumeDelayMs ?? 100));
        if (transfer !== this.transfer) return { kind: 'refused', code: 'cancelled' };
        if (!pull.complete) this.firmwareLog.resumedFromBlock = pull.nextBlock;
      }
      const rest = await pull.fetch(Number.POSITIVE_INFINITY, () => transfer !== this.transfer);
      return rest.kind === 'refused' ? rest : { kind: 'ok', bytes: pull.bytes() };
    } finally {
      this.blocksFetched += pull.blocksFetched;
    }
  }

  /** Checks a downloaded or pushed package as a bootloader would: Downloaded, or Idle with a result. */
  private checkPackage(bytes: Buffer): void {
    if (this.options.downloadFailure !== undefined) {
      this.setState(FirmwareUpdateState.Idle, this.options.downloadFailure);
      return;
    }
    const parsed = parseFirmwarePackage(bytes);
    if (!parsed.valid) {
      this.setState(FirmwareUpdateState.Idle, parsed.reason === 'integrity' ? FirmwareUpdateResult.IntegrityCheckFailure : FirmwareUpdateResult.UnsupportedPackageType);
      return;
    }
    this.pendingVersion = parsed.version;
    this.setState(FirmwareUpdateState.Downloaded, FirmwareUpdateResult.Initial);
  }

  /** Write /5/0/0: a push, block by block (2.31 each, 4.08 on a gap, 4.13 for a block too large). */
  private receivePackage(req: coap.IncomingMessage, res: coap.OutgoingMessage): void {
    if ((this.options.deliveryMethod ?? FirmwareDeliveryMethod.Pull) === FirmwareDeliveryMethod.Pull) {
      res.code = '4.05';
      res.end();
      return;
    }
    const receiver = (this.packageReceiver ??= new PackageReceiver(szxForSize(this.options.pushBlockSize ?? 1024) ?? 6, this.options.pushMaxBlockSize ?? 1024));
    const block1 = rawOption(req, BLOCK1_SET_ASIDE);
    if (block1 === undefined && req.payload.length === 0) {
      // An empty Package resets object 5 to Idle (OMA object 5, resource 0).
      receiver.reset();
      this.transfer++;
      this.pendingVersion = undefined;
      res.code = '2.04';
      res.end();
      this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.Initial);
      return;
    }
    const wasReceiving = receiver.receiving;
    const verdict = receiver.accept(block1, req.payload);
    if (verdict.kind === 'rejected') {
      res.code = verdict.code;
      if (verdict.size1 !== undefined) res.setOption('Size1', uintOption(verdict.size1));
      res.end();
      if (wasReceiving) this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.ConnectionLost);
      return;
    }
    if (block1 !== undefined) this.firmwareLog.pushedBlocks++;
    if (!wasReceiving) {
      this.transfer++;
      this.setState(FirmwareUpdateState.Downloading, FirmwareUpdateResult.Initial);
    }
    res.code = verdict.kind === 'continue' ? verdict.code : '2.04';
    if (verdict.block1 !== undefined) res.setOption('Block1', verdict.block1);
    res.end();
    if (verdict.kind === 'complete') this.checkPackage(verdict.package);
  }

  /** Execute /5/0/10 (object 5 v1.1 Cancel): before Update only, then Idle with result 10. */
  private cancelDownload(res: coap.OutgoingMessage): void {
    if (this.state !== FirmwareUpdateState.Downloading && this.state !== FirmwareUpdateState.Downloaded) {
      res.code = '4.05';
      res.end();
      return;
    }
    res.code = '2.04';
    res.end();
    this.transfer++;
    this.packageReceiver?.reset();
    this.pendingVersion = undefined;
    this.firmwareLog.cancels++;
    this.setState(FirmwareUpdateState.Idle, FirmwareUpdateResult.Cancelled);
  }

  /** /5/0/8 (one instance per protocol), /5/0/9 and, for 1.1 clients, the object 5 v1.1 resources. */
  private firmwareResources(): [string, ResourceValue][] {
    const resources: [string, ResourceValue][] = (this.options.protocols ?? [0]).map((protocol, i) => [`${FirmwarePath.ProtocolSupport}/${i}`, protocol]);
    resources.push([FirmwarePath.DeliveryMethod, this.options.deliveryMethod ?? FirmwareDeliveryMethod.Pull]);
    if (this.options.lwm2mVersion !== '1.0') {
      resources.push([FirmwarePath.Severity, 1], [FirmwarePath.LastStateChangeTime, new Date(Math.floor(this.lastStateChange / 1000) * 1000)], [FirmwarePath.MaximumDeferPeriod, 0]);
    }
    return resources;
  }
}

const WRITABLE: ReadonlySet<string> = new Set(['/1/0/1', '/3/0/14', '/3/0/15', FirmwarePath.Severity, FirmwarePath.MaximumDeferPeriod]);

const PROTOCOL_BY_SCHEME: Readonly<Record<string, number>> = { 'coap:': 0, 'coaps:': 1, 'http:': 2, 'https:': 3 };

/**
 * The source ports the simulated devices of this process have held. A device that starts again
 * (a reboot) takes a port none of them held: the kernel hands recently closed ports out again, and
 * a CoAP retransmission the edge still sends to another device's old address (its Execute, say,
 * before that device's new Register arrives) would reach this one. That is a NoSec network's
 * hazard (README, "What the orchestrator promises"), not a second send by the edge, and the
 * scenarios that count the Executes each device received must not mistake it for one.
 */
const portsHeld = new Set<number>();
/** Ports tried at most before one a device held before is taken anyway. */
const MAX_PORT_TRIES = 64;

async function bindUnheldPort(): Promise<Socket> {
  const refused: Socket[] = [];
  try {
    for (let tries = 1; ; tries++) {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const port = socket.address().port;
      if (!portsHeld.has(port) || tries >= MAX_PORT_TRIES) {
        portsHeld.add(port);
        return socket;
      }
      // Kept open until a fresh port is found, so the kernel cannot hand it out again meanwhile.
      refused.push(socket);
    }
  } finally {
    for (const socket of refused) socket.close();
  }
}
