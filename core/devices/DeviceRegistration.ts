import type { LwM2mVersion } from '../lwm2m/registrationRequest.ts';
import type { ReadFormat } from './formatNegotiation.ts';

/** A device's current registration as the registry stores it (one per endpoint name). */
export interface DeviceRegistration {
  readonly endpoint: string;
  readonly registrationId: string;
  readonly address: string;
  readonly port: number;
  readonly lifetimeSeconds: number;
  readonly lwm2mVersion: LwM2mVersion;
  readonly binding: string;
  readonly queueMode: boolean;
  /** Object links from the Register/Update payload, e.g. "/3/0", "/5/0". */
  readonly objectLinks: readonly string[];
  /** Content formats the client announced with ct= on its root link. */
  readonly supportedFormats: readonly number[];
  /**
   * The Accept a read of this registration last succeeded with ('none': only a request without
   * Accept was answered); reads ask in it first (core/devices/formatNegotiation.ts).
   */
  readonly negotiatedFormat?: ReadFormat;
  /** The edge task that last heard from the device: the only one that can send to it (NLB stickiness). */
  readonly ownerTask: string;
  readonly registeredAt: number;
  readonly lastSeen: number;
  /** Device object values read after registration (/3/0/0, /3/0/1, /3/0/3). */
  readonly manufacturer?: string;
  readonly model?: string;
  readonly firmwareVersion?: string;
  /** IANA time zone (/3/0/15) or UTC offset (/3/0/14), for windows in device local time. */
  readonly timeZone?: string;
  /** When /3/0 was last read (epoch ms); older than `registeredAt` means the read after the last Register was lost. */
  readonly deviceInfoReadAt?: number;
  /** Set when the device registered over DTLS: the PSK identity of its session (never the key). */
  readonly pskIdentity?: string;
  /**
   * When another endpoint registered from this registration's address and port (NoSec: an address
   * is all that names a device). Until the device speaks again (a later `lastSeen`), nothing is
   * sent to that address on its behalf.
   */
  readonly addressTakenAt?: number;
  /** Operator-assigned groups, for targeting (core/devices/deviceTags.ts). */
  readonly groups?: readonly string[];
  /** Operator-assigned attributes (`region: eu-west`), for targeting by `target.attributes`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Bumped by every change of the tags: the registry's writes are conditional on it, so none is lost. */
  readonly tagRevision?: number;
}

/** Whether the device facts were read since the device last registered (a lost read is retried on the next Update). */
export function hasFreshDeviceInfo(registration: Pick<DeviceRegistration, 'deviceInfoReadAt' | 'registeredAt'>): boolean {
  return registration.deviceInfoReadAt !== undefined && registration.deviceInfoReadAt >= registration.registeredAt;
}

/** A registration is alive until its lifetime passes without an Update (LwM2M 1.1 §6.2.1). */
export function isRegistrationAlive(registration: Pick<DeviceRegistration, 'lastSeen' | 'lifetimeSeconds'>, now: number): boolean {
  return now - registration.lastSeen <= registration.lifetimeSeconds * 1000;
}
