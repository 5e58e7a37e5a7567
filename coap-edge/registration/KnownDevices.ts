/**
 * What one edge task remembers of the devices it served: the address and port each endpoint last
 * spoke from (Send names no endpoint, LwM2M 1.1 §6.4.3: the address is all there is) and the id of
 * the registration it made here (an Update right after a Register never waits for the store's
 * index). Bounded: past `capacity` endpoints, the one heard from least recently is forgotten, so
 * devices that never De-register (most of them) cannot grow the task without limit. A forgotten
 * device loses nothing that matters: its Update finds its registration through the store's index,
 * and its next Register or Update makes it known again.
 */
export class KnownDevices {
  /** endpoint -> what is known of it; in the order they were last heard from (a Map keeps insertion order). */
  private readonly byEndpoint = new Map<string, KnownDevice>();
  private readonly byPeer = new Map<string, string>();
  private readonly byRegistrationId = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.byEndpoint.size;
  }

  /** The endpoint last heard from this address and port. */
  endpointAt(peer: string): string | undefined {
    return this.byPeer.get(peer);
  }

  /** The endpoint whose registration made through this task has this id. */
  endpointWithRegistrationId(registrationId: string): string | undefined {
    return this.byRegistrationId.get(registrationId);
  }

  /**
   * The endpoint spoke from `peer` (a Register names its new `registrationId`); answers the other
   * endpoint that was known at that address, which is known there no more.
   */
  heardFrom(endpoint: string, peer: string, registrationId?: string): string | undefined {
    const known = this.byEndpoint.get(endpoint) ?? {};
    this.byEndpoint.delete(endpoint);
    if (known.peer !== undefined && this.byPeer.get(known.peer) === endpoint) this.byPeer.delete(known.peer);
    if (registrationId !== undefined && known.registrationId !== undefined) this.byRegistrationId.delete(known.registrationId);
    const displaced = this.byPeer.get(peer);
    if (displaced !== undefined && displaced !== endpoint) {
      const other = this.byEndpoint.get(displaced);
      if (other !== undefined) delete other.peer;
    }
    this.byPeer.set(peer, endpoint);
    if (registrationId !== undefined) this.byRegistrationId.set(registrationId, endpoint);
    const next: KnownDevice = { peer };
    const id = registrationId ?? known.registrationId;
    if (id !== undefined) next.registrationId = id;
    this.byEndpoint.set(endpoint, next);
    this.evictBeyondCapacity();
    return displaced !== undefined && displaced !== endpoint ? displaced : undefined;
  }

  /** The endpoint de-registered: nothing of it is kept. */
  forget(endpoint: string): void {
    const known = this.byEndpoint.get(endpoint);
    if (known === undefined) return;
    this.byEndpoint.delete(endpoint);
    if (known.peer !== undefined && this.byPeer.get(known.peer) === endpoint) this.byPeer.delete(known.peer);
    if (known.registrationId !== undefined && this.byRegistrationId.get(known.registrationId) === endpoint) this.byRegistrationId.delete(known.registrationId);
  }

  private evictBeyondCapacity(): void {
    for (const endpoint of this.byEndpoint.keys()) {
      if (this.byEndpoint.size <= this.capacity) return;
      this.forget(endpoint);
    }
  }
}

interface KnownDevice {
  peer?: string;
  registrationId?: string;
}
