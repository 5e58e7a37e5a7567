/**
 * Where Device Management requests wait for their device, across edge tasks and restarts.
 * Implemented by store/DynamoDbDeviceRequestStore.ts.
 */
import type { DeviceRequest, DeviceRequestResult, DeviceRequestStatus } from '../devices/DeviceRequest.ts';

/** Device Management requests held until the owning edge task can send them. */
export interface DeviceRequestStore {
  create(request: DeviceRequest): Promise<void>;
  get(requestId: string): Promise<DeviceRequest | undefined>;
  listPendingForOwner(ownerTask: string): Promise<DeviceRequest[]>;
  listForEndpoint(endpoint: string): Promise<DeviceRequest[]>;
  /** Records the outcome once: only a PENDING request can complete. */
  complete(requestId: string, status: DeviceRequestStatus, result: DeviceRequestResult, at: number): Promise<boolean>;
  /** Moves a pending request to another edge task (the one that now hears from the device). */
  claim(requestId: string, ownerTask: string): Promise<boolean>;
  /**
   * Records a send before it goes out: attempts goes from `previous` to `previous + 1` only while
   * the request is PENDING, so two tasks never send the same attempt and a cancelled request is
   * never sent.
   */
  recordAttempt(requestId: string, previous: number): Promise<boolean>;
}
