/**
 * Starts the download of a job's package on a device, the way the device can take it
 * (ARCHITECTURE.md, "Delivering firmware"): reads /5/0 (protocols /5/0/8, delivery method
 * /5/0/9), ranks the deliveries with core's `rankDeliveries`, writes Severity and Maximum Defer
 * Period when the job carries them, then writes a Package URI (a presigned S3 URL for HTTP(S)
 * pull, coap://<edge>/fw/<token> for CoAP pull) or starts a Block1 push. A device that refuses a
 * URI (one longer than it stores, say) is offered the next delivery on the list.
 */
import { rankDeliveries, type DeliveryChoice } from '../../core/firmware/deliverySelection.ts';
import type { FirmwareObjectSnapshot } from '../../core/firmware/firmwareProgress.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import type { DeviceTarget } from '../devices/DeviceClient.ts';
import type { ImageCache } from '../firmware/ImageCache.ts';
import type { PackagePusher, PushOutcome } from '../firmware/PackagePusher.ts';
import type { Logger } from '../logger.ts';
import { readFirmwareObject, type FirmwareDevices } from './deviceFirmware.ts';
import { packageTokenOf } from '../../core/jobs/packageToken.ts';

/** Presigned HTTP(S) URLs of images: what makes HTTP pull available. */
export interface HttpPackageSource {
  readonly scheme: 'http' | 'https';
  /** A short-lived GET URL of the image, or undefined when the image is not usable. */
  presign(imageId: string): Promise<string | undefined>;
}

export interface PackageDeliveryOptions {
  readonly devices: FirmwareDevices;
  /** Base of CoAP Package URIs as devices must see it, e.g. coap://fota.example.com:5683 */
  readonly packageUriBase: string;
  /** Base of CoAPS Package URIs, e.g. coaps://fota.example.com:5684; absent when DTLS is off. */
  readonly securePackageUriBase?: string;
  /** The image cache: checked before a CoAP pull or a push, so a broken image fails the job at once. */
  readonly images?: Pick<ImageCache, 'get' | 'unavailableReason'>;
  readonly pusher?: PackagePusher;
  readonly httpPackages?: HttpPackageSource;
  readonly logger: Logger;
}

/** How a push ended: its outcome, or the transport error that stopped it (a timeout...). */
export type PushEnd = PushOutcome | { readonly kind: 'error'; readonly error: unknown };

export type DeliveryStart =
  | { readonly kind: 'started'; readonly choice: DeliveryChoice }
  /** Every delivery on offer was refused; `code` is the last refusal. */
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'imageUnavailable'; readonly reason: 'IMAGE_TAMPERED' | 'IMAGE_UNAVAILABLE' };

export class PackageDelivery {
  constructor(private readonly options: PackageDeliveryOptions) {}

  /** Reads the device's object 5 and ranks what it can take, best first (empty: nothing fits). */
  async choices(device: DeviceTarget): Promise<{ snapshot: FirmwareObjectSnapshot; choices: DeliveryChoice[] }> {
    const snapshot = await readFirmwareObject(this.options.devices, device);
    const httpScheme = this.options.httpPackages?.scheme;
    // CoAPS only for a device that registered over DTLS: it reaches the secure endpoint it trusts.
    const secureSession = this.options.securePackageUriBase !== undefined && (device as { pskIdentity?: string }).pskIdentity !== undefined;
    const ranked = rankDeliveries(snapshot, { ...(httpScheme === undefined ? {} : { httpScheme }), secureSession });
    return { snapshot, choices: ranked.filter((choice) => choice.kind !== 'push' || this.options.pusher !== undefined) };
  }

  /** Object 5 v1.1 Severity (/5/0/11) and Maximum Defer Period (/5/0/13), when the job sets them. */
  async writePreferences(device: DeviceTarget, job: FirmwareJob): Promise<void> {
    const writes: [string, number][] = [];
    if (job.severity !== undefined) writes.push(['/5/0/11', job.severity]);
    if (job.maxDeferPeriodSeconds !== undefined) writes.push(['/5/0/13', job.maxDeferPeriodSeconds]);
    for (const [path, value] of writes) {
      // A 1.0 device has neither resource: it installs as it always did.
      const outcome = await this.options.devices.writeText(device, path, String(value));
      if (outcome.kind === 'refused') this.options.logger.debug('device refused an update preference', { endpoint: device.endpoint, path, code: outcome.code });
    }
  }

  /**
   * Writes the Package URI (or starts the push) of the first choice the device accepts. A push
   * runs on after this returns; `onPushEnded` hears how it ended.
   */
  async start(job: FirmwareJob, device: DeviceTarget, choices: readonly DeliveryChoice[], onPushEnded: (end: PushEnd) => void): Promise<DeliveryStart> {
    let lastCode = 'none';
    for (const choice of choices) {
      if (choice.kind !== 'http-pull' && this.options.images !== undefined && (await this.options.images.get(job.imageId)) === undefined) {
        return { kind: 'imageUnavailable', reason: await this.unavailableReason(job.imageId) };
      }
      if (choice.kind === 'push') {
        const pusher = this.options.pusher;
        if (pusher === undefined) continue;
        void pusher.push(pushKey(job), device, job.imageId).then(onPushEnded, (error: unknown) => onPushEnded({ kind: 'error', error }));
        return { kind: 'started', choice };
      }
      const base = choice.kind === 'coap-pull' && choice.scheme === 'coaps' ? this.options.securePackageUriBase : this.options.packageUriBase;
      const uri = choice.kind === 'coap-pull' ? `${base ?? this.options.packageUriBase}/fw/${packageTokenOf(job)}` : await this.options.httpPackages?.presign(job.imageId);
      if (uri === undefined) return { kind: 'imageUnavailable', reason: await this.unavailableReason(job.imageId) };
      const outcome = await this.options.devices.writeText(device, '/5/0/1', uri);
      if (outcome.kind === 'done') return { kind: 'started', choice };
      lastCode = outcome.code;
      this.options.logger.info('device refused a Package URI; trying the next delivery', { endpoint: device.endpoint, delivery: choice.kind, code: outcome.code });
    }
    return { kind: 'refused', code: lastCode };
  }

  /** IMAGE_TAMPERED when the image's bytes changed after verification, IMAGE_UNAVAILABLE otherwise. */
  async unavailableReason(imageId: string): Promise<'IMAGE_TAMPERED' | 'IMAGE_UNAVAILABLE'> {
    return (await this.options.images?.unavailableReason(imageId)) ?? 'IMAGE_UNAVAILABLE';
  }

  isPushing(job: FirmwareJob): boolean {
    return this.options.pusher?.isPushing(pushKey(job)) ?? false;
  }

  abortPush(job: FirmwareJob): void {
    this.options.pusher?.abort(pushKey(job));
  }
}

export function pushKey(job: Pick<FirmwareJob, 'campaignId' | 'endpoint'>): string {
  return `${job.campaignId}/${job.endpoint}`;
}
