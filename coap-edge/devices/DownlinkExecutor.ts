/**
 * Sends the Device Management requests held in the store to the devices this task owns. A
 * queue-mode device is sent to only while it is awake (after a Register, Update or notification,
 * LwM2M 1.1 §6.5); its requests wait in the store until then, across restarts of the edge.
 */
import { DeviceRequestStatus, isAwake, isNonIdempotent, MAX_SEND_ATTEMPTS, type DeviceRequest, type DeviceRequestResult, type JsonResourceValue } from '../../core/devices/DeviceRequest.ts';
import { isRegistrationAlive, type DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { compositePaths } from '../../core/devices/operations.ts';
import { entriesFromJson, toJsonValues, undecodableValues } from '../../core/devices/jsonValues.ts';
import { LwM2mPath } from '../../core/lwm2m/LwM2mPath.ts';
import { assertNever, type Result } from '../../core/result.ts';
import type { LwM2mEntry } from '../../core/codecs/model.ts';
import type { DeviceRequestStore } from '../../core/ports/DeviceRequestStore.ts';
import type { RegistrationStore } from '../../core/ports/RegistrationStore.ts';
import type { Observation } from '../transport/CoapTransport.ts';
import { DeviceNoResponseError, DeviceTimeoutError } from '../transport/errors.ts';
import type { Logger } from '../logger.ts';
import type { DeviceClient } from './DeviceClient.ts';
import { isSuccessCode, ResponseCode } from '../../core/coap/ResponseCode.ts';

export interface DownlinkExecutorOptions {
  readonly requests: DeviceRequestStore;
  readonly registrations: RegistrationStore;
  readonly devices: DeviceClient;
  readonly taskId: string;
  readonly pollIntervalMs: number;
  readonly logger: Logger;
  /** Called with each notification of an observation started through a request. */
  readonly onNotification?: (notification: ObservationNotification) => void;
  readonly clock?: () => number;
  /** How long a queue-mode device listens after it spoke. @default 93 s */
  readonly queueModeAwakeMs?: number;
  /** Sends of a request the device never answers before it ends as NO_RESPONSE. @default 5 */
  readonly maxSendAttempts?: number;
}

/** A notification of an observation (or composite observation) started through a request. */
export interface ObservationNotification {
  readonly endpoint: string;
  /** The observed paths: one for Observe, several for Observe-Composite. */
  readonly observed: readonly string[];
  readonly entries: readonly LwM2mEntry[];
  readonly at: number;
}

export class DownlinkExecutor {
  private readonly inFlight = new Set<string>();
  private readonly observations = new Map<string, Observation>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DownlinkExecutorOptions) {
    this.now = options.clock ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => {
      // tick() catches and logs its own failures; this catch is only for a bug in that handling.
      this.tick().catch((error: unknown) => this.options.logger.error('downlink tick failed', { error }));
    }, this.options.pollIntervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const observation of this.observations.values()) observation.cancel();
    this.observations.clear();
  }

  async tick(): Promise<void> {
    try {
      const pending = await this.options.requests.listPendingForOwner(this.options.taskId);
      await Promise.all(pending.map((request) => this.attempt(request)));
    } catch (error) {
      this.options.logger.error('downlink poll failed', { error });
    }
  }

  /** The device spoke (Register or Update): send what waits for it, claiming it from other tasks. */
  async onDeviceAwake(registration: DeviceRegistration, newSession: boolean): Promise<void> {
    if (newSession) this.dropObservations(registration.endpoint);
    const waiting = (await this.options.requests.listForEndpoint(registration.endpoint)).filter((r) => r.status === DeviceRequestStatus.Pending);
    await Promise.all(
      waiting.map(async (request) => {
        if (request.ownerTask !== this.options.taskId && !(await this.options.requests.claim(request.requestId, this.options.taskId))) return;
        await this.attempt({ ...request, ownerTask: this.options.taskId }, registration);
      }),
    );
  }

  private async attempt(request: DeviceRequest, known?: DeviceRegistration): Promise<void> {
    if (this.inFlight.has(request.requestId)) return;
    this.inFlight.add(request.requestId);
    try {
      const now = this.now();
      if (request.expiresAt < now) {
        await this.options.requests.complete(request.requestId, DeviceRequestStatus.Expired, { code: '', error: 'the device was not reachable before the request expired' }, now);
        return;
      }
      const device = known ?? (await this.options.registrations.getWithoutTags(request.endpoint));
      if (device === undefined || !isRegistrationAlive(device, now) || !isAwake(device, now, this.options.queueModeAwakeMs)) return;
      if (device.ownerTask !== this.options.taskId) {
        await this.options.requests.claim(request.requestId, device.ownerTask);
        return;
      }
      const attempts = request.attempts ?? 0;
      const maxAttempts = this.options.maxSendAttempts ?? MAX_SEND_ATTEMPTS;
      if (attempts >= maxAttempts) {
        await this.options.requests.complete(request.requestId, DeviceRequestStatus.NoResponse, { code: '', error: `the device answered none of ${attempts} sends` }, now);
        return;
      }
      // A Write, Execute, Create... is recorded before it goes out, conditionally: a cancelled or
      // completed one, or one another task just sent, is not sent again. A read may go out twice,
      // so its send is counted after a timeout, off the path between wake-up and send.
      const guarded = isNonIdempotent(request.operation);
      if (guarded && !(await this.options.requests.recordAttempt(request.requestId, attempts))) return;
      let result: DeviceRequestResult;
      try {
        result = await this.perform(device, request);
      } catch (error) {
        if (!guarded && error instanceof DeviceTimeoutError && !(error instanceof DeviceNoResponseError)) await this.options.requests.recordAttempt(request.requestId, attempts);
        throw error;
      }
      const status = isSuccessCode(result.code) ? DeviceRequestStatus.Done : DeviceRequestStatus.Failed;
      await this.options.requests.complete(request.requestId, status, result, this.now());
    } catch (error) {
      if (error instanceof DeviceNoResponseError) {
        // The device has the request (it acknowledged it) and will not answer: sending it again
        // could repeat a Write or an Execute, so it ends here (RFC 7252 §5.2.2).
        await this.options.requests.complete(request.requestId, DeviceRequestStatus.NoResponse, { code: '', error: 'the device acknowledged the request but never answered' }, this.now());
      } else if (!(error instanceof DeviceTimeoutError)) {
        await this.options.requests.complete(request.requestId, DeviceRequestStatus.Failed, { code: '', error: error instanceof Error ? error.message : String(error) }, this.now());
      }
      // Any other timeout leaves the request pending, to be sent again (at most maxSendAttempts
      // times): the device may be asleep or between NAT mappings.
    } finally {
      this.inFlight.delete(request.requestId);
    }
  }

  private async perform(device: DeviceRegistration, request: DeviceRequest): Promise<DeviceRequestResult> {
    const { devices } = this.options;
    const operation = request.operation;
    switch (operation.kind) {
      case 'read': {
        const outcome = await devices.read(device, operation.path);
        return outcome.kind === 'refused' ? { code: outcome.code } : valuesResult(outcome.entries, outcome.contentFormat);
      }
      case 'discover': {
        const outcome = await devices.discover(device, operation.path);
        return outcome.linkFormat === undefined ? { code: outcome.code } : { code: outcome.code, linkFormat: outcome.linkFormat };
      }
      case 'write': {
        const outcome = await devices.writeText(device, operation.path, String(operation.value));
        return { code: outcome.kind === 'done' ? ResponseCode.Changed : outcome.code };
      }
      case 'execute': {
        const outcome = await devices.execute(device, operation.path, operation.args);
        return { code: outcome.kind === 'done' ? ResponseCode.Changed : outcome.code };
      }
      case 'writeAttributes': {
        const outcome = await devices.writeAttributes(device, operation.path, operation.attributes);
        return { code: outcome.kind === 'done' ? ResponseCode.Changed : outcome.code };
      }
      case 'delete': {
        const outcome = await devices.delete(device, operation.path);
        return { code: outcome.kind === 'done' ? ResponseCode.Deleted : outcome.code };
      }
      case 'writeInstance': {
        const entries = this.entries(parsedPath(operation.path), operation.values);
        if (!entries.success) return { code: '', error: entries.error.message };
        const outcome = await devices.write(device, operation.path, entries.data, operation.replace === true);
        return { code: outcome.kind === 'done' ? ResponseCode.Changed : outcome.code };
      }
      case 'create': {
        const object = parsedPath(operation.path);
        const entries = this.entries(object.append(operation.instanceId ?? 0), operation.values);
        if (!entries.success) return { code: '', error: entries.error.message };
        const outcome = await devices.create(device, operation.path, entries.data, operation.instanceId);
        if (outcome.kind === 'refused') return { code: outcome.code };
        return outcome.location === undefined ? { code: ResponseCode.Created } : { code: ResponseCode.Created, location: outcome.location };
      }
      case 'readComposite': {
        const outcome = await devices.readComposite(device, compositePaths(operation.paths));
        return outcome.kind === 'refused' ? { code: outcome.code } : valuesResult(outcome.entries, outcome.contentFormat);
      }
      case 'writeComposite': {
        const entries = this.entries(LwM2mPath.root(), operation.values);
        if (!entries.success) return { code: '', error: entries.error.message };
        const outcome = await devices.writeComposite(device, entries.data);
        return { code: outcome.kind === 'done' ? ResponseCode.Changed : outcome.code };
      }
      case 'observe':
        return this.observe(device, [operation.path], (onValues, onEnd) => devices.observe(device, operation.path, (_value, entries, format) => onValues(entries, format), onEnd));
      case 'observeComposite':
        return this.observe(device, operation.paths, (onValues, onEnd) => devices.observeComposite(device, compositePaths(operation.paths), onValues, onEnd));
      case 'cancelObservation':
        return this.cancelObservation(device.endpoint, [operation.path], true);
      case 'cancelObservationComposite':
        // node-coap cannot repeat a FETCH with its payload: the RST on the next notification cancels.
        return this.cancelObservation(device.endpoint, operation.paths, false);
      default:
        return assertNever(operation);
    }
  }

  private entries(base: LwM2mPath, values: Readonly<Record<string, JsonResourceValue>>): Result<LwM2mEntry[], Error> {
    return entriesFromJson(base, values, this.options.devices.registry);
  }

  /**
   * Starts an observation, replacing one of the same paths; the first response is the request's
   * result, every later notification goes to `onNotification`. An observation the device ends
   * (error notification) is dropped from the table.
   */
  private async observe(
    device: DeviceRegistration,
    paths: readonly string[],
    start: (onValues: (entries: readonly LwM2mEntry[], contentFormat: number) => void, onEnd: () => void) => Promise<Observation>,
  ): Promise<DeviceRequestResult> {
    let first: DeviceRequestResult | undefined;
    const key = observationKey(device.endpoint, paths);
    this.observations.get(key)?.cancel();
    this.observations.delete(key);
    const started: { observation?: Observation } = {};
    const observation = await start(
      (entries, contentFormat) => {
        if (first === undefined) first = valuesResult(entries, contentFormat);
        else this.options.onNotification?.({ endpoint: device.endpoint, observed: paths, entries, at: this.now() });
      },
      () => {
        if (started.observation !== undefined && this.observations.get(key) === started.observation) this.observations.delete(key);
      },
    );
    started.observation = observation;
    this.observations.set(key, observation);
    return first ?? { code: ResponseCode.Content, values: {} };
  }

  private cancelObservation(endpoint: string, paths: readonly string[], active: boolean): DeviceRequestResult {
    const key = observationKey(endpoint, paths);
    const observation = this.observations.get(key);
    this.observations.delete(key);
    observation?.cancel(active);
    return { code: observation === undefined ? ResponseCode.NotFound : ResponseCode.Content };
  }

  /** Paths (as given) of the observations this task holds for a device. */
  activeObservations(endpoint: string): string[][] {
    return [...this.observations.keys()].filter((key) => key.startsWith(`${endpoint} `)).map((key) => key.slice(endpoint.length + 1).split(','));
  }

  private dropObservations(endpoint: string): void {
    for (const [key, observation] of this.observations) {
      if (key.startsWith(`${endpoint} `)) {
        observation.cancel();
        this.observations.delete(key);
      }
    }
  }
}

/** A read's result: the values, the format they came in, and any value that did not decode. */
function valuesResult(entries: readonly LwM2mEntry[], contentFormat: number): DeviceRequestResult {
  const errors = undecodableValues(entries);
  return { code: ResponseCode.Content, values: toJsonValues(entries), contentFormat, ...(errors === undefined ? {} : { errors }) };
}

function observationKey(endpoint: string, paths: readonly string[]): string {
  return `${endpoint} ${[...paths].sort().join(',')}`;
}

/** A path the request's operation was checked for (checkDeviceOperation). */
function parsedPath(text: string): LwM2mPath {
  const parsed = LwM2mPath.parse(text);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}
