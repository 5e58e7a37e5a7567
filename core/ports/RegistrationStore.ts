/**
 * Where device registrations are kept: the edge's registration service and downlink, the functions'
 * planner and device API. Implemented by store/DynamoDbRegistrationStore.ts.
 */
import type { DeviceRegistration } from '../devices/DeviceRegistration.ts';

/** The device registry: one item per endpoint, the latest registration wins. */
export interface RegistrationStore {
  /** Writes the registration now (the operator's tags it carries only for a device that has none). */
  put(registration: DeviceRegistration): Promise<void>;
  /**
   * A Register: the registration is written a moment later, batched with the others of the
   * moment, and the changes made to it meanwhile (its facts) go with it. Until then this store
   * answers every read and write of it (`get`, `getWithoutTags`, `findByRegistrationId`, `list`,
   * `update`, `remove`); other processes, and the fleet inventory's scans, see it once written. Waits only while the store is far behind. A write that never lands costs the
   * device a 4.04 on its next Update, and it registers again.
   */
  register(registration: DeviceRegistration): Promise<void>;
  /** Writes every registration `register` still holds. */
  flush(): Promise<void>;
  /** The device with the operator's tags (groups, attributes). */
  get(endpoint: string): Promise<DeviceRegistration | undefined>;
  /**
   * The device's own registration, without the operator's tags: what the edge needs, one key read.
   */
  getWithoutTags(endpoint: string): Promise<DeviceRegistration | undefined>;
  /**
   * The registration with this id (the `/rd/{id}` of an Update): the index names the endpoint (in
   * DynamoDB it may lag a write by a moment), the device is read from the table and answered only
   * while it still has this id; writes that follow stay conditional on the id. Without the tags.
   */
  findByRegistrationId(registrationId: string): Promise<DeviceRegistration | undefined>;
  update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean>;
  /** Removes the registration only if it is still the one named (a newer one is kept). */
  remove(endpoint: string, registrationId: string): Promise<boolean>;
  list(): Promise<DeviceRegistration[]>;
}
