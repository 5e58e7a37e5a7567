/**
 * The registry as one edge task sees it: the registry (store/DynamoDbRegistrationStore.ts), with
 * the registrations of the devices this task heard from (a Register or an Update here) in the last
 * `rememberMs` kept in memory, with this task's own writes to them, so the job steps, the
 * downlink and the device reads that follow cost no read unit each (a device update read its
 * registration about six times).
 *
 * Why a remembered registration may answer: the NLB keeps a device's UDP flow on the task that
 * heard it until the flow has been idle for 120 s, so for `rememberMs` (less than that) after this
 * task heard a device, no other task hears it from the same address, and a device's item is
 * written by the task that hears it. A device that changed its address (a reboot, a NAT
 * rebinding) may reach another task meanwhile: that task writes the item and claims the device's
 * jobs with a conditional write, so this task's writes to them no longer land. Only a copy that
 * names this task the owner answers; a conditional write of this task that finds another
 * registration forgets the copy at once. A Register, an Update and a De-register read the
 * registration from the store (`stored`): they decide the downgrade, the kept id and the expiry.
 */
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { RegistrationStore } from '../../core/ports/RegistrationStore.ts';

export interface HeardRegistrationsOptions {
  /** This task: only a registration it owns is answered from memory. */
  readonly taskId: string;
  /** How long after this task heard a device its registration answers reads without the store: below the balancer's flow idle timeout (NLB, UDP: 120 s). @default 60,000 ms */
  readonly rememberMs?: number;
  /** Registrations kept at most (the oldest go first). @default 100,000 */
  readonly capacity?: number;
  readonly clock?: () => number;
}

interface Remembered {
  readonly registration: DeviceRegistration;
  /** When this task last heard from the device. */
  readonly heardAt: number;
}

export class HeardRegistrations implements RegistrationStore {
  /** In the order they were remembered (a Map keeps insertion order): the oldest first. */
  private readonly remembered = new Map<string, Remembered>();
  private readonly rememberMs: number;
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(
    private readonly store: RegistrationStore,
    private readonly options: HeardRegistrationsOptions,
  ) {
    this.rememberMs = options.rememberMs ?? 60_000;
    this.capacity = options.capacity ?? 100_000;
    this.now = options.clock ?? Date.now;
  }

  async register(registration: DeviceRegistration): Promise<void> {
    await this.store.register(registration);
    this.heardFrom(registration);
  }

  /** The device spoke to this task (a Register or an Update here): its registration as it is now. */
  heardFrom(registration: DeviceRegistration): void {
    const now = this.now();
    this.remembered.delete(registration.endpoint);
    this.remembered.set(registration.endpoint, { registration, heardAt: now });
    for (const [endpoint, entry] of this.remembered) {
      if (this.remembered.size <= this.capacity && now - entry.heardAt <= this.rememberMs) return;
      this.remembered.delete(endpoint);
    }
  }

  async put(registration: DeviceRegistration): Promise<void> {
    this.remembered.delete(registration.endpoint);
    await this.store.put(registration);
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  /** With the operator's tags: from the store (tags are written by the API, not heard here). */
  get(endpoint: string): Promise<DeviceRegistration | undefined> {
    return this.store.get(endpoint);
  }

  /** The registration as this task knows it, if it heard the device lately and owns it; else from the store. */
  async getWithoutTags(endpoint: string): Promise<DeviceRegistration | undefined> {
    const known = this.remembered.get(endpoint);
    if (known !== undefined && known.registration.ownerTask === this.options.taskId && this.now() - known.heardAt <= this.rememberMs) return known.registration;
    return this.stored(endpoint);
  }

  /** The registration as stored now (a consistent read); what this task remembers of it is replaced by it. */
  async stored(endpoint: string): Promise<DeviceRegistration | undefined> {
    const registration = await this.store.getWithoutTags(endpoint);
    this.refreshed(endpoint, registration);
    return registration;
  }

  async findByRegistrationId(registrationId: string): Promise<DeviceRegistration | undefined> {
    const registration = await this.store.findByRegistrationId(registrationId);
    if (registration !== undefined) this.refreshed(registration.endpoint, registration);
    return registration;
  }

  async update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean> {
    const applied = await this.store.update(endpoint, registrationId, changes);
    const known = this.remembered.get(endpoint);
    if (!applied) this.remembered.delete(endpoint);
    // Only onto the registration the write was conditional on.
    else if (known?.registration.registrationId === registrationId) this.remembered.set(endpoint, { ...known, registration: { ...known.registration, ...changes, endpoint, registrationId } });
    return applied;
  }

  async remove(endpoint: string, registrationId: string): Promise<boolean> {
    this.remembered.delete(endpoint);
    const removed = await this.store.remove(endpoint, registrationId);
    // A read that ran meanwhile may have remembered it again.
    this.remembered.delete(endpoint);
    return removed;
  }

  list(): Promise<DeviceRegistration[]> {
    return this.store.list();
  }

  /** A newer copy from the store, kept only for a device this task heard from. */
  private refreshed(endpoint: string, registration: DeviceRegistration | undefined): void {
    const known = this.remembered.get(endpoint);
    if (known === undefined) return;
    if (registration === undefined) this.remembered.delete(endpoint);
    else this.remembered.set(endpoint, { ...known, registration });
  }
}
