/**
 * Where device registrations are kept: the edge's registration service and downlink, the functions'
 * planner and device API. Implemented by store/DynamoDbRegistrationStore.ts.
 */
import type { DeviceRegistration } from '../devices/DeviceRegistration.ts';

/** The device registry: one item per endpoint, the latest registration wins. */
export interface RegistrationStore {
  put(registration: DeviceRegistration): Promise<void>;
  get(endpoint: string): Promise<DeviceRegistration | undefined>;
  /**
   * The registration with this id (the `/rd/{id}` of an Update), from the index: in DynamoDB it
   * may lag a write by a moment, so writes that follow stay conditional on the id.
   */
  findByRegistrationId(registrationId: string): Promise<DeviceRegistration | undefined>;
  update(endpoint: string, registrationId: string, changes: Partial<DeviceRegistration>): Promise<boolean>;
  /** Removes the registration only if it is still the one named (a newer one is kept). */
  remove(endpoint: string, registrationId: string): Promise<boolean>;
  list(): Promise<DeviceRegistration[]>;
}
