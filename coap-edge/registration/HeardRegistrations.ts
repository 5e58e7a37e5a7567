/**
 * The registry as one edge task sees it: the registry (store/DynamoDbRegistrationStore.ts), with
 * the registrations this task made, updated, wrote or read in the last `rememberMs` kept in
 * memory, so the job steps, the downlink and the device reads that follow a Register or a step
 * read no read unit each (a device update read its registration about six times).
 *
 * Why a remembered registration may answer: a device's item is written by the task that hears
 * from it. Another process writes it only when the device spoke to another task (a Register or
 * Update there, its blocks pulled there), and that task then claims the device's jobs with a
 * conditional write, so this task's own writes to them no longer land; a remembered copy is at
 * most `rememberMs` old, after which the store is read again (and a job released here with a stale
 * owner is handed over, JobSteps#reachableDevice). Only a copy that names this task the owner
 * answers: which task owns a device is the store's word, so two tasks never hand a job to and fro
 * on what each remembers of the other. A conditional write of this task that finds another
 * registration forgets the copy at once. The Register's own read of the previous
 * registration (`stored`) always goes to the store: it decides the downgrade and the kept id.
 */
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { RegistrationStore } from '../../core/ports/RegistrationStore.ts';

export interface HeardRegistrationsOptions {
  /** This task: only a registration it owns is answered from memory. */
  readonly taskId: string;
  /** How long a registration read or written here answers reads without the store. @default 30,000 ms */
  readonly rememberMs?: number;
  /** Registrations kept at most (the oldest go first). @default 100,000 */
  readonly capacity?: number;
  readonly clock?: () => number;
}

interface Remembered {
  readonly registration: DeviceRegistration;
  readonly at: number;
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
    this.rememberMs = options.rememberMs ?? 30_000;
    this.capacity = options.capacity ?? 100_000;
    this.now = options.clock ?? Date.now;
  }

  async register(registration: DeviceRegistration): Promise<void> {
    await this.store.register(registration);
    this.remember(registration);
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

  /** The registration as this task last knew it, if that is recent and this task owned it; else from the store. */
  async getWithoutTags(endpoint: string): Promise<DeviceRegistration | undefined> {
    const known = this.remembered.get(endpoint);
    if (known !== undefined && known.registration.ownerTask === this.options.taskId && this.now() - known.at <= this.rememberMs) return known.registration;
    return this.stored(endpoint);
  }

  /** The registration as stored now (a consistent read), remembered. */
  async stored(endpoint: string): Promise<DeviceRegistration | undefined> {
    const registration = await this.store.getWithoutTags(endpoint);
    if (registration === undefined) this.remembered.delete(endpoint);
    else this.remember(registration);
    return registration;
  }

  async findByRegistrationId(registrationId: string): Promise<DeviceRegistration | undefined> {
    const registration = await this.store.findByRegistrationId(registrationId);
    if (registration !== undefined) this.remember(registration);
    return registration;
  }

  async update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean> {
    const applied = await this.store.update(endpoint, registrationId, changes);
    const known = this.remembered.get(endpoint);
    if (!applied) this.remembered.delete(endpoint);
    // Only onto the registration the write was conditional on; the copy is as recent as it was.
    else if (known?.registration.registrationId === registrationId) this.remembered.set(endpoint, { registration: { ...known.registration, ...changes, endpoint, registrationId }, at: known.at });
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

  private remember(registration: DeviceRegistration): void {
    const now = this.now();
    this.remembered.delete(registration.endpoint);
    this.remembered.set(registration.endpoint, { registration, at: now });
    for (const [endpoint, entry] of this.remembered) {
      if (this.remembered.size <= this.capacity && now - entry.at <= this.rememberMs) return;
      this.remembered.delete(endpoint);
    }
  }
}
