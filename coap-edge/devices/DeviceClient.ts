/**
 * Device Management requests as typed LwM2M operations (Read, Write, Execute, Create, Delete,
 * Discover, Write-Attributes, Observe, and the 1.1 composite operations) on top of the transport
 * and the codec registry. Expected refusals come back as values; transport faults (timeouts) as
 * typed errors from the transport.
 */
import { ContentFormat } from '../../core/lwm2m/ContentFormat.ts';
import { LwM2mPath } from '../../core/lwm2m/LwM2mPath.ts';
import { defaultObjectRegistry, type ObjectRegistry } from '../../core/lwm2m/objectRegistry.ts';
import { decodeContent, encodeContent } from '../../core/codecs/index.ts';
import type { LwM2mEntry, ResourceValue } from '../../core/codecs/model.ts';
import { encodePathList, type SenmlFormat } from '../../core/codecs/senmlPaths.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { compositeFormatCandidates, NO_ACCEPT, type ReadFormat } from '../../core/devices/formatNegotiation.ts';
import { FormatNegotiator, type FormatMemory, type NegotiationStep } from './FormatNegotiator.ts';
import type { DeviceResponse, Observation } from '../transport/CoapTransport.ts';
import type { DevicePeer, DeviceTransport } from '../transport/TransportRouter.ts';
import { DeviceRequestError } from '../transport/errors.ts';
import { writeBlockwise, type Block1Options, type Block1Outcome } from '../transport/block1Transfer.ts';
import { isSuccessCode, ResponseCode } from '../../core/coap/ResponseCode.ts';

export type DeviceTarget = Pick<DeviceRegistration, 'address' | 'port' | 'lwm2mVersion' | 'supportedFormats' | 'endpoint'> &
  Partial<Pick<DeviceRegistration, 'registrationId' | 'negotiatedFormat'>>;

export type ReadOutcome =
  | { readonly kind: 'values'; readonly entries: readonly LwM2mEntry[]; readonly contentFormat: number }
  | { readonly kind: 'refused'; readonly code: string };

export type WriteOutcome = { readonly kind: 'done' } | { readonly kind: 'refused'; readonly code: string };

export type CreateOutcome = { readonly kind: 'created'; readonly location?: string } | { readonly kind: 'refused'; readonly code: string };

export class DeviceClient {
  private readonly negotiator: FormatNegotiator;

  constructor(
    private readonly transport: DeviceTransport,
    /** Object models for decoding and encoding; custom objects from DDF files join the OMA ones here. */
    readonly registry: ObjectRegistry = defaultObjectRegistry,
    /** Where the format a device answered in is remembered (its registration). */
    formatMemory?: FormatMemory,
  ) {
    this.negotiator = new FormatNegotiator(formatMemory);
  }

  /** Forgets the formats learned for an endpoint: it registered again (maybe with new firmware). */
  forgetFormats(endpoint: string): void {
    this.negotiator.forget(endpoint);
  }

  /**
   * The format values are written in: the first the device would be read in (what worked, else
   * what it announced, else its version's preference), TLV when that is no Accept at all.
   */
  preferredFormat(device: DeviceTarget): number {
    const first = this.negotiator.firstFormat(device);
    return first === NO_ACCEPT ? ContentFormat.TLV : first;
  }

  /** Read (§5.4.1), negotiating the format: 4.06 or silence to an Accept moves to the next one. */
  async read(device: DeviceTarget, path: string): Promise<ReadOutcome> {
    const parsed = parsePath(path);
    const outcome = await this.negotiator.negotiate(device, async (format): Promise<NegotiationStep<DeviceResponse>> => {
      const response = await this.transport.request(peerOf(device), { method: 'GET', path: parsed.toString(), ...acceptOf(format) });
      return response.code === ResponseCode.NotAcceptable ? { kind: 'notAcceptable' } : { kind: 'answered', value: response };
    });
    if (outcome.kind === 'notAcceptable') return { kind: 'refused', code: ResponseCode.NotAcceptable };
    const response = outcome.value;
    if (!isSuccessCode(response.code)) return { kind: 'refused', code: response.code };
    return { kind: 'values', ...decodeResponse(response, parsed, this.registry) };
  }

  /** The SenML flavour of composite requests (LwM2M 1.1 §5.4.8): CBOR unless only JSON was announced. */
  compositeFormat(device: DeviceTarget): SenmlFormat {
    return compositeFormatCandidates(device)[0] ?? ContentFormat.SENML_CBOR;
  }

  /**
   * Read-Composite (1.1 §5.4.8): FETCH on the root, the paths as a SenML name list; a 4.06 or
   * 4.15 to one SenML flavour is asked again in the other.
   */
  async readComposite(device: DeviceTarget, paths: readonly LwM2mPath[]): Promise<ReadOutcome> {
    let refused: string = ResponseCode.NotAcceptable;
    for (const format of compositeFormatCandidates(device)) {
      const payload = encodePathList(format, paths);
      if (!payload.success) throw payload.error;
      const response = await this.transport.request(peerOf(device), { method: 'FETCH', path: '/', payload: payload.data, contentFormat: format, accept: format });
      if (response.code === ResponseCode.NotAcceptable || response.code === ResponseCode.UnsupportedContentFormat) {
        refused = response.code;
        continue;
      }
      if (!isSuccessCode(response.code)) return { kind: 'refused', code: response.code };
      return { kind: 'values', ...decodeResponse(response, LwM2mPath.root(), this.registry) };
    }
    return { kind: 'refused', code: refused };
  }

  /** Write-Composite (1.1 §5.4.9): iPATCH on the root with values named by absolute paths. */
  async writeComposite(device: DeviceTarget, entries: readonly LwM2mEntry[]): Promise<WriteOutcome> {
    const format = this.compositeFormat(device);
    const encoded = encodeContent(format, entries, LwM2mPath.root(), this.registry);
    if (!encoded.success) throw encoded.error;
    const response = await this.transport.request(peerOf(device), { method: 'iPATCH', path: '/', payload: encoded.data, contentFormat: format });
    return response.code === ResponseCode.Changed ? { kind: 'done' } : { kind: 'refused', code: response.code };
  }

  /**
   * Create (§5.4.6): POST on the object. With an instance id the payload names it; without, the
   * payload holds only resources (TLV, the one format that can say so) and the client picks the
   * id, answering with its Location-Path.
   */
  async create(device: DeviceTarget, objectPath: string, entries: readonly LwM2mEntry[], instanceId?: number): Promise<CreateOutcome> {
    const object = parsePath(objectPath);
    const format = instanceId === undefined ? ContentFormat.TLV : this.preferredFormat(device);
    const encoded = instanceId === undefined
      ? encodeContent(format, entries, object.append(0), this.registry)
      : encodeContent(format, entries, object, this.registry);
    if (!encoded.success) throw encoded.error;
    const response = await this.transport.request(peerOf(device), { method: 'POST', path: object.toString(), payload: encoded.data, contentFormat: format });
    if (response.code !== ResponseCode.Created) return { kind: 'refused', code: response.code };
    const location = response.locationPath ?? (instanceId === undefined ? undefined : object.append(instanceId).toString().slice(1));
    return location === undefined ? { kind: 'created' } : { kind: 'created', location: `/${location}` };
  }

  /** Reads one resource and returns its value, or undefined when the device has no such value. */
  async readValue(device: DeviceTarget, path: string): Promise<ResourceValue | undefined> {
    const outcome = await this.read(device, path);
    if (outcome.kind === 'refused') return undefined;
    const target = parsePath(path).toString();
    return outcome.entries.find((entry) => entry.path.toString() === target)?.value ?? outcome.entries[0]?.value;
  }

  /** Write (replace) of a single resource as text/plain, which every LwM2M version accepts. */
  async writeText(device: DeviceTarget, path: string, value: string): Promise<WriteOutcome> {
    const response = await this.transport.request(peerOf(device), {
      method: 'PUT',
      path: parsePath(path).toString(),
      payload: Buffer.from(value, 'utf8'),
      contentFormat: ContentFormat.TEXT,
    });
    return response.code === ResponseCode.Changed ? { kind: 'done' } : { kind: 'refused', code: response.code };
  }

  async write(device: DeviceTarget, path: string, entries: readonly LwM2mEntry[], replace = true): Promise<WriteOutcome> {
    const parsed = parsePath(path);
    const format = this.preferredFormat(device);
    const encoded = encodeContent(format, entries, parsed, this.registry);
    if (!encoded.success) throw encoded.error;
    const response = await this.transport.request(peerOf(device), { method: replace ? 'PUT' : 'POST', path: parsed.toString(), payload: encoded.data, contentFormat: format });
    return response.code === ResponseCode.Changed ? { kind: 'done' } : { kind: 'refused', code: response.code };
  }

  /** Execute (LwM2M 1.1 §5.4.5): POST on a resource, with optional arguments as text. */
  async execute(device: DeviceTarget, path: string, args?: string): Promise<WriteOutcome> {
    const response = await this.transport.request(peerOf(device), {
      method: 'POST',
      path: parsePath(path).toString(),
      ...(args === undefined ? {} : { payload: Buffer.from(args, 'utf8'), contentFormat: ContentFormat.TEXT }),
    });
    return response.code === ResponseCode.Changed ? { kind: 'done' } : { kind: 'refused', code: response.code };
  }

  /** Discover (LwM2M 1.1 §5.4.2): GET with Accept link-format; the attached attributes and resources. */
  async discover(device: DeviceTarget, path: string): Promise<{ code: string; linkFormat?: string }> {
    const response = await this.transport.request(peerOf(device), { method: 'GET', path: parsePath(path).toString(), accept: ContentFormat.LINK_FORMAT });
    return response.code === ResponseCode.Content ? { code: response.code, linkFormat: response.payload.toString('utf8') } : { code: response.code };
  }

  /** Write-Attributes (§5.4.4): PUT with the attributes as query, no payload. */
  async writeAttributes(device: DeviceTarget, path: string, attributes: Readonly<Record<string, number>>): Promise<WriteOutcome> {
    const query = Object.entries(attributes)
      .map(([name, value]) => `${name}=${value}`)
      .join('&');
    const response = await this.transport.request(peerOf(device), { method: 'PUT', path: parsePath(path).toString(), query });
    return response.code === ResponseCode.Changed ? { kind: 'done' } : { kind: 'refused', code: response.code };
  }

  /**
   * Write (replace) of an opaque resource, block-wise when it does not fit one block (RFC 7959
   * Block1): how a package is pushed to /5/0/0. An empty payload is a single Write (resets /5/0).
   */
  writeOpaque(device: DeviceTarget, path: string, bytes: Uint8Array, options: Block1Options = {}): Promise<Block1Outcome> {
    return writeBlockwise(this.transport, peerOf(device), { method: 'PUT', path: parsePath(path).toString(), payload: bytes, contentFormat: ContentFormat.OPAQUE }, options);
  }

  /** Delete (§5.4.7) of an object instance. */
  async delete(device: DeviceTarget, path: string): Promise<WriteOutcome> {
    const response = await this.transport.request(peerOf(device), { method: 'DELETE', path: parsePath(path).toString() });
    return response.code === ResponseCode.Deleted ? { kind: 'done' } : { kind: 'refused', code: response.code };
  }

  /**
   * Observes a node; each notification's first decoded value goes to `onValue`. `onEnd` hears
   * when the device ends the observation itself (an error notification, e.g. 4.04 after Delete).
   */
  async observe(
    device: DeviceTarget,
    path: string,
    onValue: (value: ResourceValue | undefined, entries: readonly LwM2mEntry[], contentFormat: number) => void,
    onEnd?: (code: string) => void,
  ): Promise<Observation> {
    const parsed = parsePath(path);
    const onNotification = (response: DeviceResponse): void => {
      try {
        const { entries, contentFormat } = decodeResponse(response, parsed, this.registry);
        onValue(entries.find((e) => e.path.equals(parsed))?.value ?? entries[0]?.value, entries, contentFormat);
      } catch {
        // A notification we cannot decode is dropped; the periodic read fallback recovers.
      }
    };
    const outcome = await this.negotiator.negotiate(device, async (format): Promise<NegotiationStep<Observation>> => {
      try {
        const accept = format === NO_ACCEPT ? undefined : format;
        return { kind: 'answered', value: await this.transport.observe(peerOf(device), parsed.toString(), accept, onNotification, onEnd === undefined ? {} : { onEnd }) };
      } catch (error) {
        if (error instanceof DeviceRequestError && error.code === ResponseCode.NotAcceptable) return { kind: 'notAcceptable' };
        throw error;
      }
    });
    if (outcome.kind === 'notAcceptable') throw new DeviceRequestError(ResponseCode.NotAcceptable, `Observe ${parsed.toString()}: the device accepts none of the formats it was asked in`);
    return outcome.value;
  }

  /** Observe-Composite (1.1 §5.5.3): FETCH with Observe 0 on the root; notifications are SenML at the root. */
  observeComposite(
    device: DeviceTarget,
    paths: readonly LwM2mPath[],
    onValues: (entries: readonly LwM2mEntry[], contentFormat: number) => void,
    onEnd?: (code: string) => void,
  ): Promise<Observation> {
    const format = this.compositeFormat(device);
    const payload = encodePathList(format, paths);
    if (!payload.success) return Promise.reject(payload.error);
    return this.transport.observe(
      peerOf(device),
      '/',
      format,
      (response) => {
        try {
          const { entries, contentFormat } = decodeResponse(response, LwM2mPath.root(), this.registry);
          onValues(entries, contentFormat);
        } catch {
          // An undecodable notification is dropped; the next one carries every path again.
        }
      },
      { fetch: { payload: payload.data, contentFormat: format }, ...(onEnd === undefined ? {} : { onEnd }) },
    );
  }
}

function acceptOf(format: ReadFormat): { accept?: number } {
  return format === NO_ACCEPT ? {} : { accept: format };
}

/** Where to reach a device; one registered over DTLS is reached over DTLS only. */
export function peerOf(device: Pick<DeviceRegistration, 'address' | 'port' | 'pskIdentity'>): DevicePeer {
  return device.pskIdentity === undefined ? { address: device.address, port: device.port } : { address: device.address, port: device.port, secure: true };
}

function parsePath(path: string): LwM2mPath {
  const parsed = LwM2mPath.parse(path);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

function decodeResponse(response: DeviceResponse, path: LwM2mPath, registry: ObjectRegistry): { entries: readonly LwM2mEntry[]; contentFormat: number } {
  // Devices that omit Content-Format on a single value send text/plain (LwM2M 1.0 §6.4.1).
  const contentFormat = response.contentFormat ?? ContentFormat.TEXT;
  const decoded = decodeContent(contentFormat, response.payload, path, registry);
  if (!decoded.success) {
    throw new DeviceRequestError(response.code, `undecodable ${contentFormat} payload for ${path.toString()}: ${decoded.error.message}`, { cause: decoded.error });
  }
  return { entries: decoded.data, contentFormat };
}
