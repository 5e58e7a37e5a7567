/**
 * How a device gets its package (ARCHITECTURE.md, "Delivering firmware"): chosen per device from
 * what it reports in /5/0/8 (Firmware Update Protocol Support, multi-instance) and /5/0/9
 * (Firmware Update Delivery Method). Pure: the job executor reads the resources, asks here, and
 * tries the choices in order (a device may still refuse a URI, e.g. one longer than it stores).
 */
import { FirmwareDeliveryMethod, FirmwareUpdateProtocol } from '../lwm2m/firmwareUpdate.ts';
import type { FailureReason } from '../jobs/failureReason.ts';

export type DeliveryChoice =
  | { readonly kind: 'http-pull'; readonly scheme: 'http' | 'https' }
  | { readonly kind: 'coap-pull'; readonly scheme: 'coap' | 'coaps' }
  | { readonly kind: 'push' };

/** What the device reports; a resource it does not have is undefined. */
export interface DeviceDeliverySupport {
  /** Instances of /5/0/8. Absent or empty: the device did not say (see `rankDeliveries`). */
  readonly protocols?: readonly number[];
  /** /5/0/9; absent: pull, the only method of object 5 before it had the resource. */
  readonly deliveryMethod?: number;
}

/** What the edge can offer this device. */
export interface EdgeDeliveryOffer {
  /**
   * Scheme of the presigned S3 URLs the edge can hand out (`https` in AWS, `http` against a
   * local S3), or undefined when HTTP pull is switched off.
   */
  readonly httpScheme?: 'http' | 'https';
  /**
   * The device registered over DTLS and the edge serves coaps://. CoAPS is offered only then:
   * the device must be able to reach the secure endpoint it already trusts.
   */
  readonly secureSession: boolean;
}

/**
 * The deliveries this device can take, best first; empty when nothing fits (the job then fails
 * with UNSUPPORTED_PROTOCOL). Rules:
 * - never a URI scheme the device does not list in /5/0/8 (OMA object 5, resource 8);
 * - HTTP(S) pull first: the bytes go from S3 to the device and never touch the edge;
 * - then CoAPS pull (secure sessions only), then CoAP pull;
 * - push (Write /5/0/0 with Block1) for push-only devices; a device offering both methods is
 *   pushed to only when none of its pull protocols fits;
 * - a device that reports no protocol at all is taken to speak plain CoAP: every LwM2M client
 *   does, and resource 8 is optional in object 5 v1.0.
 */
export function rankDeliveries(device: DeviceDeliverySupport, edge: EdgeDeliveryOffer): DeliveryChoice[] {
  const method = device.deliveryMethod ?? FirmwareDeliveryMethod.Pull;
  const pulls = method === FirmwareDeliveryMethod.Pull || method === FirmwareDeliveryMethod.Both;
  const pushes = method === FirmwareDeliveryMethod.Push || method === FirmwareDeliveryMethod.Both;
  const listed = new Set(device.protocols === undefined || device.protocols.length === 0 ? [FirmwareUpdateProtocol.CoAP] : device.protocols);
  const choices: DeliveryChoice[] = [];
  if (pulls) {
    if (edge.httpScheme === 'https' && listed.has(FirmwareUpdateProtocol.HTTPS)) choices.push({ kind: 'http-pull', scheme: 'https' });
    if (edge.httpScheme === 'http' && listed.has(FirmwareUpdateProtocol.HTTP)) choices.push({ kind: 'http-pull', scheme: 'http' });
    if (edge.secureSession && listed.has(FirmwareUpdateProtocol.CoAPS)) choices.push({ kind: 'coap-pull', scheme: 'coaps' });
    if (listed.has(FirmwareUpdateProtocol.CoAP)) choices.push({ kind: 'coap-pull', scheme: 'coap' });
  }
  if (pushes && (method === FirmwareDeliveryMethod.Push || choices.length === 0)) choices.push({ kind: 'push' });
  return choices;
}

/** The failure reason of a job whose device can take none of the deliveries on offer. */
export const NO_DELIVERY_REASON: FailureReason = 'UNSUPPORTED_PROTOCOL';
