/**
 * The Registration interface (LwM2M 1.1 §6.2): Register, Update, De-register at /rd. A new
 * Register of a known endpoint replaces the old registration (devices re-register after a reboot
 * from a new port, without De-register). The registration id carries the endpoint name so any
 * edge task can resolve an Update with one consistent read.
 */
import { randomBytes } from 'node:crypto';
import { parseRegisterQuery, parseUpdateQuery } from '../../core/lwm2m/registrationRequest.ts';
import { parseLinkFormat, registrationObjectLinks } from '../../core/lwm2m/linkFormat.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { RegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import type { InboundRequest, OutboundResponse } from '../transport/CoapTransport.ts';

export type RegistrationEvent =
  | { readonly kind: 'registered'; readonly registration: DeviceRegistration; readonly previous?: DeviceRegistration }
  | { readonly kind: 'updated'; readonly registration: DeviceRegistration }
  | { readonly kind: 'deregistered'; readonly endpoint: string };

export interface RegistrationServiceOptions {
  readonly store: RegistrationStore;
  readonly taskId: string;
  readonly clock?: () => number;
  readonly onEvent: (event: RegistrationEvent) => void;
}

const BAD_REQUEST = (message: string): OutboundResponse => ({ code: '4.00', payload: Buffer.from(message) });

export class RegistrationService {
  private readonly now: () => number;

  constructor(private readonly options: RegistrationServiceOptions) {
    this.now = options.clock ?? Date.now;
  }

  async handle(request: InboundRequest): Promise<OutboundResponse> {
    const [, id, extra] = request.pathSegments;
    if (extra !== undefined) return { code: '4.04' };
    if (id === undefined) {
      return request.method === 'POST' ? this.register(request) : { code: '4.05' };
    }
    if (request.method === 'POST') return this.update(request, id);
    if (request.method === 'DELETE') return this.deregister(id);
    return { code: '4.05' };
  }

  private async register(request: InboundRequest): Promise<OutboundResponse> {
    const params = parseRegisterQuery(request.query);
    if (!params.success) return BAD_REQUEST(params.error.message);
    const links = parseObjectLinks(request.payload);
    if (!links.success) return BAD_REQUEST(links.message);
    const now = this.now();
    const previous = await this.options.store.get(params.data.endpoint);
    const registration: DeviceRegistration = {
      endpoint: params.data.endpoint,
      registrationId: newRegistrationId(params.data.endpoint),
      address: request.peer.address,
      port: request.peer.port,
      lifetimeSeconds: params.data.lifetimeSeconds,
      lwm2mVersion: params.data.lwm2mVersion,
      binding: params.data.binding,
      queueMode: params.data.queueMode,
      objectLinks: links.objectLinks,
      supportedFormats: links.supportedFormats,
      ownerTask: this.options.taskId,
      registeredAt: now,
      lastSeen: now,
      // Device facts survive a re-registration until they are read again.
      ...(previous?.manufacturer === undefined ? {} : { manufacturer: previous.manufacturer }),
      ...(previous?.model === undefined ? {} : { model: previous.model }),
      ...(previous?.firmwareVersion === undefined ? {} : { firmwareVersion: previous.firmwareVersion }),
    };
    await this.options.store.put(registration);
    this.emitLater({ kind: 'registered', registration, ...(previous === undefined ? {} : { previous }) });
    return { code: '2.01', locationPath: ['rd', registration.registrationId] };
  }

  private async update(request: InboundRequest, registrationId: string): Promise<OutboundResponse> {
    const endpoint = endpointOf(registrationId);
    const current = endpoint === undefined ? undefined : await this.options.store.get(endpoint);
    if (current === undefined || current.registrationId !== registrationId) return { code: '4.04' };
    const params = parseUpdateQuery(request.query, current.lwm2mVersion);
    if (!params.success) return BAD_REQUEST(params.error.message);
    let links: { objectLinks?: string[]; supportedFormats?: number[] } = {};
    if (request.payload.length > 0) {
      const parsed = parseObjectLinks(request.payload);
      if (!parsed.success) return BAD_REQUEST(parsed.message);
      links = { objectLinks: parsed.objectLinks, ...(parsed.supportedFormats.length > 0 ? { supportedFormats: parsed.supportedFormats } : {}) };
    }
    const changes: Partial<DeviceRegistration> = {
      ...params.data,
      ...links,
      address: request.peer.address,
      port: request.peer.port,
      ownerTask: this.options.taskId,
      lastSeen: this.now(),
    };
    const applied = await this.options.store.update(current.endpoint, registrationId, changes);
    if (!applied) return { code: '4.04' };
    this.emitLater({ kind: 'updated', registration: { ...current, ...changes } as DeviceRegistration });
    return { code: '2.04' };
  }

  private async deregister(registrationId: string): Promise<OutboundResponse> {
    const endpoint = endpointOf(registrationId);
    if (endpoint === undefined) return { code: '4.04' };
    const removed = await this.options.store.remove(endpoint, registrationId);
    if (!removed) return { code: '4.04' };
    this.emitLater({ kind: 'deregistered', endpoint });
    return { code: '2.02' };
  }

  /** After the reply is on the wire: the device is not ready for requests before it has it. */
  private emitLater(event: RegistrationEvent): void {
    setImmediate(() => this.options.onEvent(event));
  }
}

function parseObjectLinks(payload: Buffer):
  | { success: true; objectLinks: string[]; supportedFormats: number[] }
  | { success: false; message: string } {
  if (payload.length === 0) return { success: true, objectLinks: [], supportedFormats: [] };
  const parsed = parseLinkFormat(payload.toString('utf8'));
  if (!parsed.success) return { success: false, message: `invalid object links: ${parsed.error.message}` };
  const links = registrationObjectLinks(parsed.data);
  return {
    success: true,
    objectLinks: links.objects.map((o) => (o.instanceId === undefined ? `/${o.objectId}` : `/${o.objectId}/${o.instanceId}`)),
    supportedFormats: links.supportedFormats,
  };
}

function newRegistrationId(endpoint: string): string {
  return `${Buffer.from(endpoint, 'utf8').toString('base64url')}.${randomBytes(4).toString('hex')}`;
}

/** The endpoint name a registration id was minted for, or undefined for a malformed id. */
export function endpointOf(registrationId: string): string | undefined {
  const dot = registrationId.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const endpoint = Buffer.from(registrationId.slice(0, dot), 'base64url').toString('utf8');
  return endpoint.length > 0 ? endpoint : undefined;
}
