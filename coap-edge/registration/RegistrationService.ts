/**
 * The Registration interface (LwM2M 1.1 §6.2): Register, Update, De-register at /rd. A new
 * Register of a known endpoint replaces the old registration (devices re-register after a reboot
 * from a new port, without De-register), under the same id while the old one is alive. Registration ids are 128 random bits (§6.2.1 leaves them
 * to the server): nothing about the device can be guessed from one, and the store resolves them.
 * A registration whose lifetime passed without an Update is expired (§6.2.1): its Update gets 4.04
 * and the client must Register again. Who may do what (§7.1, the security of the registration
 * interface): see `identityRefusal` and `securityRefusal`.
 */
import { poolRandom } from '../../dtls/randomPool.ts';
import { parseRegisterQuery, parseUpdateQuery } from '../../core/lwm2m/registrationRequest.ts';
import { parseLinkFormat, registrationObjectLinks } from '../../core/lwm2m/linkFormat.ts';
import { isRegistrationAlive, type DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { InboundRequest, OutboundResponse, Peer } from '../transport/CoapTransport.ts';
import { KnownDevices } from './KnownDevices.ts';
import type { HeardRegistrations } from './HeardRegistrations.ts';

export type RegistrationEvent =
  | { readonly kind: 'registered'; readonly registration: DeviceRegistration; readonly previous?: DeviceRegistration }
  | { readonly kind: 'updated'; readonly registration: DeviceRegistration; readonly previous: DeviceRegistration }
  | { readonly kind: 'deregistered'; readonly endpoint: string };

export interface RegistrationServiceOptions {
  /** The registry as this task sees it: a Register reads the previous registration from the store itself. */
  readonly store: HeardRegistrations;
  readonly taskId: string;
  readonly clock?: () => number;
  readonly onEvent: (event: RegistrationEvent) => void;
  /** Which device a PSK identity belongs to: a secure Register must name that device. */
  readonly credentialOwner?: (pskIdentity: string) => Promise<string | undefined>;
  /** Whether the endpoint has a provisioned key: it then registers (and updates) over DTLS only. */
  readonly dtlsRequired?: (endpoint: string) => Promise<boolean>;
  /**
   * Another endpoint registered or updated from the address and port `endpoint` was known at
   * (NoSec: a new process on a port a sleeping device let go). Called before the reply is sent, so
   * what the edge kept for that address is gone before anything is sent to the new endpoint.
   */
  readonly onAddressTaken?: (taken: AddressTaken) => void;
  /** Devices whose address and registration id this task keeps in memory (least recently heard from forgotten first). @default 200,000 */
  readonly knownDevicesCapacity?: number;
}

export interface AddressTaken {
  /** The endpoint that was known at the address. */
  readonly endpoint: string;
  readonly peer: Peer;
  /** The endpoint that registered or updated from it. */
  readonly by: string;
}

const REGISTRATION_ID = /^[A-Za-z0-9_.-]{1,200}$/;

/** A few hundred bytes each, so tens of MB at the most; more devices than a task serves at once. */
const KNOWN_DEVICES_CAPACITY = 200_000;

const BAD_REQUEST = (message: string): OutboundResponse => ({ code: '4.00', payload: Buffer.from(message) });

export class RegistrationService {
  private readonly now: () => number;
  /** Addresses (Send has no other name) and registration ids of the devices heard through this task. */
  private readonly known: KnownDevices;

  constructor(private readonly options: RegistrationServiceOptions) {
    this.now = options.clock ?? Date.now;
    this.known = new KnownDevices(options.knownDevicesCapacity ?? KNOWN_DEVICES_CAPACITY);
  }

  /** The endpoint that last registered or updated from this address and port through this task. */
  endpointAt(peer: Peer): string | undefined {
    return this.known.endpointAt(peerKey(peer));
  }

  private remember(endpoint: string, peer: Peer, registrationId?: string): void {
    const displaced = this.known.heardFrom(endpoint, peerKey(peer), registrationId);
    if (displaced !== undefined) this.options.onAddressTaken?.({ endpoint: displaced, peer: { address: peer.address, port: peer.port }, by: endpoint });
  }

  async handle(request: InboundRequest): Promise<OutboundResponse> {
    const [, id, extra] = request.pathSegments;
    if (extra !== undefined) return { code: '4.04' };
    if (id === undefined) {
      return request.method === 'POST' ? this.register(request) : { code: '4.05' };
    }
    if (request.method === 'POST') return this.update(request, id);
    if (request.method === 'DELETE') return this.deregister(request, id);
    return { code: '4.05' };
  }

  private async register(request: InboundRequest): Promise<OutboundResponse> {
    const params = parseRegisterQuery(request.query);
    if (!params.success) return BAD_REQUEST(params.error.message);
    const links = parseObjectLinks(request.payload);
    if (!links.success) return BAD_REQUEST(links.message);
    const now = this.now();
    // Both reads go out together, batched with the other Registers of the moment (store/BatchedReads.ts),
    // the registration's from the store, not this task's memory: it decides the downgrade and the kept id.
    const [previous, refusal] = await Promise.all([this.options.store.stored(params.data.endpoint), this.securityRefusal(request, params.data.endpoint)]);
    // A device that registered securely before may not fall back to NoSec (a downgrade).
    const downgrade = request.security === undefined && previous?.pskIdentity !== undefined ? `${params.data.endpoint} registers over DTLS only` : undefined;
    if (refusal !== undefined || downgrade !== undefined) return { code: '4.03', payload: Buffer.from(refusal ?? downgrade ?? '') };
    const registration: DeviceRegistration = {
      endpoint: params.data.endpoint,
      registrationId: keptRegistrationId(previous, request.security?.pskIdentity, now) ?? newRegistrationId(),
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
      ...(request.security === undefined ? {} : { pskIdentity: request.security.pskIdentity }),
      // Device facts survive a re-registration until they are read again.
      ...(previous?.manufacturer === undefined ? {} : { manufacturer: previous.manufacturer }),
      ...(previous?.model === undefined ? {} : { model: previous.model }),
      ...(previous?.firmwareVersion === undefined ? {} : { firmwareVersion: previous.firmwareVersion }),
    };
    // No write waits for the 2.01: the registration is written a moment later with the other
    // Registers of the moment and the facts read meanwhile (store/RegistryWriteBehind.ts).
    await this.options.store.register(registration);
    this.remember(registration.endpoint, request.peer, registration.registrationId);
    this.emitLater({ kind: 'registered', registration, ...(previous === undefined ? {} : { previous }) });
    return { code: '2.01', locationPath: ['rd', registration.registrationId] };
  }

  private async update(request: InboundRequest, registrationId: string): Promise<OutboundResponse> {
    const current = await this.registrationNamed(registrationId);
    if (current === undefined) return { code: '4.04' };
    const refusal = await this.identityRefusal(request, current);
    if (refusal !== undefined) return { code: '4.03', payload: Buffer.from(refusal) };
    if (!isRegistrationAlive(current, this.now())) return { code: '4.04', payload: Buffer.from('registration expired: Register again') };
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
    this.remember(current.endpoint, request.peer);
    const registration = { ...current, ...changes } as DeviceRegistration;
    this.options.store.heardFrom(registration);
    this.emitLater({ kind: 'updated', registration, previous: current });
    return { code: '2.04' };
  }

  private async deregister(request: InboundRequest, registrationId: string): Promise<OutboundResponse> {
    const current = await this.registrationNamed(registrationId);
    if (current === undefined) return { code: '4.04' };
    const refusal = await this.identityRefusal(request, current);
    if (refusal !== undefined) return { code: '4.03', payload: Buffer.from(refusal) };
    const removed = await this.options.store.remove(current.endpoint, registrationId);
    if (!removed) return { code: '4.04' };
    this.known.forget(current.endpoint);
    this.emitLater({ kind: 'deregistered', endpoint: current.endpoint });
    return { code: '2.02' };
  }

  /** The current registration with this id, from this task's memory or the store's index. */
  private async registrationNamed(registrationId: string): Promise<DeviceRegistration | undefined> {
    // Only what this server ever minted (base64url, and the older `endpoint.hex`) reaches the index.
    if (!REGISTRATION_ID.test(registrationId)) return undefined;
    const endpoint = this.known.endpointWithRegistrationId(registrationId);
    // The write that follows (Update, De-register) is conditional on the id. Read from the store,
    // not this task's memory: the device may have updated through another task since (its lifetime
    // is counted from its last Update, wherever it came in).
    const current = endpoint === undefined ? await this.options.store.findByRegistrationId(registrationId) : await this.options.store.stored(endpoint);
    return current?.registrationId === registrationId ? current : undefined;
  }

  /**
   * Update and De-register come from the registration's own client (LwM2M 1.1 §7.1: the server
   * binds a registration to the security association it was made over): a registration made
   * over DTLS only from its own PSK identity; one made over NoSec not over NoSec any more once
   * its endpoint has a key, nor from a DTLS identity provisioned for another device.
   */
  private async identityRefusal(request: InboundRequest, current: DeviceRegistration): Promise<string | undefined> {
    if (current.pskIdentity !== undefined) {
      return request.security?.pskIdentity === current.pskIdentity ? undefined : 'a DTLS registration is updated and de-registered over its own DTLS identity only';
    }
    if (request.security !== undefined) {
      const owner = await this.options.credentialOwner?.(request.security.pskIdentity);
      return owner === current.endpoint ? undefined : `identity ${request.security.pskIdentity} does not belong to ${current.endpoint}`;
    }
    return (await this.options.dtlsRequired?.(current.endpoint)) === true ? `${current.endpoint} has a provisioned key: it registers over DTLS only` : undefined;
  }

  /**
   * A device registering over DTLS must be the device its PSK identity was provisioned for. Over
   * NoSec: an endpoint with a provisioned key registers over DTLS only (credentials decide the
   * transport).
   */
  private async securityRefusal(request: InboundRequest, endpoint: string): Promise<string | undefined> {
    if (request.security !== undefined) {
      const owner = await this.options.credentialOwner?.(request.security.pskIdentity);
      return owner === endpoint ? undefined : `identity ${request.security.pskIdentity} may not register as ${endpoint}`;
    }
    if ((await this.options.dtlsRequired?.(endpoint)) === true) return `${endpoint} registers over DTLS only`;
    return undefined;
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

function peerKey(peer: Pick<Peer, 'address' | 'port'>): string {
  return `${peer.address}:${peer.port}`;
}

/**
 * A device that registers again (a reboot, a new port, no De-register) keeps the id of its live
 * registration: LwM2M 1.1 §6.2.1 leaves the location to the server, which may answer the same one,
 * and an unchanged id costs the registry's byRegistrationId index no write (store/schema.ts). A
 * new id when the previous registration expired or was made over another security association
 * (NoSec, another PSK identity): an id seen in plaintext never names a DTLS registration.
 */
function keptRegistrationId(previous: DeviceRegistration | undefined, pskIdentity: string | undefined, now: number): string | undefined {
  if (previous === undefined || previous.pskIdentity !== pskIdentity || !isRegistrationAlive(previous, now)) return undefined;
  return previous.registrationId;
}

/** 128 random bits, base64url (22 characters): unguessable, and nothing of the endpoint in it. */
function newRegistrationId(): string {
  return poolRandom(16).toString('base64url');
}
