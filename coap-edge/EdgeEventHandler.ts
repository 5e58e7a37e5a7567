/**
 * What the edge does when something happens (EdgeEvents): after a Register or Update, requests
 * waiting at the device's old address give up, its facts are read, what waits for it is
 * delivered and its job goes on; an address taken is forgotten and marked; a Send wakes a
 * queue-mode device's downlink; a notification is stored; a download contact may take a job over
 * from another task; a job that ended stops its Package URI token. One `switch`, one place.
 */
import { hasFreshDeviceInfo, isRegistrationAlive, type DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import { TelemetrySource } from '../core/devices/Telemetry.ts';
import { assertNever } from '../core/result.ts';
import type { RegistrationStore } from '../core/ports/RegistrationStore.ts';
import type { DeviceClient } from './devices/DeviceClient.ts';
import type { DeviceInfoReader } from './devices/DeviceInfoReader.ts';
import type { DownlinkExecutor, ObservationNotification } from './devices/DownlinkExecutor.ts';
import type { EdgeEvent, EdgeEventListener } from './EdgeEvents.ts';
import type { EdgeTransports } from './EdgeTransports.ts';
import type { FirmwareBlockServer } from './firmware/FirmwareBlockServer.ts';
import type { JobExecutor } from './jobs/JobExecutor.ts';
import type { Logger } from './logger.ts';
import type { AddressTaken, RegistrationEvent } from './registration/RegistrationService.ts';
import type { TelemetryRecorder } from './reporting/TelemetryRecorder.ts';
import { packageTokenOf } from '../core/jobs/packageToken.ts';

/** The parts events act on. */
export interface EdgeEventTargets {
  readonly taskId: string;
  readonly registrations: RegistrationStore;
  readonly transports: Pick<EdgeTransports, 'abandonPeer' | 'forgetPeer'>;
  readonly devices: Pick<DeviceClient, 'forgetFormats'>;
  readonly deviceInfo: Pick<DeviceInfoReader, 'refresh'>;
  readonly downlink: Pick<DownlinkExecutor, 'onDeviceAwake'>;
  readonly executor: Pick<JobExecutor, 'onRegistration' | 'takeOver' | 'onLastBlockServed'>;
  readonly telemetry: Pick<TelemetryRecorder, 'record'>;
  readonly firmware: Pick<FirmwareBlockServer, 'revoke'>;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export class EdgeEventHandler implements EdgeEventListener {
  private readonly now: () => number;

  constructor(private readonly parts: EdgeEventTargets) {
    this.now = parts.clock ?? Date.now;
  }

  async handle(event: EdgeEvent): Promise<void> {
    switch (event.kind) {
      case 'registered':
      case 'updated':
      case 'deregistered':
        return this.registrationChanged(event);
      case 'addressTaken':
        return this.addressTaken(event.taken);
      case 'sent':
        return this.deviceSent(event.endpoint);
      case 'notification':
        return this.notified(event.notification);
      case 'downloadContact':
        // A device pulling blocks through this task is reachable from here (its NLB flow is here):
        // its job and registration move to this task, e.g. after its previous task was replaced.
        if (event.job.ownerTask !== this.parts.taskId) await this.parts.executor.takeOver(event.job);
        return;
      case 'lastBlockServed':
        return this.parts.executor.onLastBlockServed(event.job);
      case 'jobEnded':
        // A job that ended here stops its Package URI token at once, not when the lookup cache expires.
        return this.parts.firmware.revoke(packageTokenOf(event.job));
      default:
        return assertNever(event);
    }
  }

  private async registrationChanged(event: RegistrationEvent): Promise<void> {
    const { deviceInfo, downlink, executor, devices, logger } = this.parts;
    try {
      if (event.kind !== 'deregistered') this.abandonOldAddress(event.registration, event.previous);
      if (event.kind === 'registered') devices.forgetFormats(event.registration.endpoint);
      // After a Register; after an Update too when that read was lost (the device's NLB flow
      // moved to this task before the previous owner's read reached it).
      if (event.kind === 'registered' || (event.kind === 'updated' && !hasFreshDeviceInfo(event.registration))) await deviceInfo.refresh(event.registration);
      // A device new to the registry has no requests or jobs waiting: both are made for registered
      // devices only. One that de-registered with some waiting is found by their owners' polls.
      if (event.kind === 'registered' && event.previous === undefined) return;
      if (event.kind !== 'deregistered') await downlink.onDeviceAwake(event.registration, event.kind === 'registered');
      await executor.onRegistration(event);
    } catch (error) {
      logger.warn('registration follow-up failed', { event: event.kind, error });
    }
  }

  /**
   * A device heard from a new address (rebooted, NAT rebinding, or its NLB flow moved here from
   * another task) no longer answers at the old one: requests still waiting there give up now.
   */
  private abandonOldAddress(current: DeviceRegistration, previous: DeviceRegistration | undefined): void {
    if (previous === undefined || (previous.address === current.address && previous.port === current.port)) return;
    const old = { address: previous.address, port: previous.port };
    const given = this.parts.transports.abandonPeer(old, `${current.endpoint} moved to ${current.address}:${current.port}`);
    if (given > 0) this.parts.logger.debug('gave up requests to an old device address', { endpoint: current.endpoint, requests: given });
  }

  /**
   * NoSec: another endpoint registered from the address a device was known at (the device slept
   * and a new process got its port). What the transports kept for the address goes at once; the
   * device's registration is marked so no task sends to that address for it until it speaks again.
   */
  private async addressTaken(taken: AddressTaken): Promise<void> {
    const { registrations, logger } = this.parts;
    this.parts.transports.forgetPeer(taken.peer, `${taken.by} registered from ${taken.peer.address}:${taken.peer.port}`);
    try {
      const registration = await registrations.getWithoutTags(taken.endpoint);
      if (registration === undefined || registration.address !== taken.peer.address || registration.port !== taken.peer.port) return;
      await registrations.update(taken.endpoint, registration.registrationId, { addressTakenAt: this.now() });
      logger.info('device address taken by another endpoint: nothing is sent there for it until it speaks again', { endpoint: taken.endpoint, by: taken.by });
    } catch (error) {
      logger.warn('could not mark a device address as taken', { endpoint: taken.endpoint, error });
    }
  }

  /** A Send shows a queue-mode device awake (LwM2M 1.1 §6.5): deliver what waits for it. */
  private async deviceSent(endpoint: string): Promise<void> {
    try {
      const registration = await this.parts.registrations.getWithoutTags(endpoint);
      const now = this.now();
      if (registration === undefined || !registration.queueMode || !isRegistrationAlive(registration, now)) return;
      await this.parts.downlink.onDeviceAwake({ ...registration, lastSeen: now }, false);
    } catch (error) {
      this.parts.logger.warn('downlink after Send failed', { endpoint, error });
    }
  }

  private async notified(notification: ObservationNotification): Promise<void> {
    try {
      await this.parts.telemetry.record(notification.endpoint, notification.entries, TelemetrySource.Notification);
    } catch (error) {
      this.parts.logger.warn('notification not recorded', { endpoint: notification.endpoint, error });
    }
  }
}
