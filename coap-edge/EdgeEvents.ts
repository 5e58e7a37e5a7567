/**
 * What happens in the edge that other parts of it act on, as one union tagged by `kind`, and the
 * one place it is dispatched: services emit, EdgeEventHandler acts. Handling runs at once (its
 * synchronous part before `emit` returns: an address taken is forgotten before the Register's
 * reply goes out); a failure is logged once, here, counted, and never left unhandled (which
 * would end a Node 20 process).
 */
import type { DeviceRegistration } from '../core/devices/DeviceRegistration.ts';
import type { FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import type { ObservationNotification } from './devices/DownlinkExecutor.ts';
import type { Logger } from './logger.ts';
import type { AddressTaken } from './registration/RegistrationService.ts';

export type EdgeEvent =
  /** A Register was accepted (LwM2M 1.1 §6.2.1); `previous` when it replaced a registration. */
  | { readonly kind: 'registered'; readonly registration: DeviceRegistration; readonly previous?: DeviceRegistration }
  | { readonly kind: 'updated'; readonly registration: DeviceRegistration; readonly previous: DeviceRegistration }
  | { readonly kind: 'deregistered'; readonly endpoint: string }
  /** NoSec: another endpoint registered from the address a device was known at. */
  | { readonly kind: 'addressTaken'; readonly taken: AddressTaken }
  /** A Send (LwM2M 1.1 §6.4.4) arrived from a registered device. */
  | { readonly kind: 'sent'; readonly endpoint: string }
  /** A notification of an observation started through a Device Management request. */
  | { readonly kind: 'notification'; readonly notification: ObservationNotification }
  /** A device asked for a block of its job's image (every few seconds of a download), from `peer`. */
  | { readonly kind: 'downloadContact'; readonly job: FirmwareJob }
  | { readonly kind: 'lastBlockServed'; readonly job: Pick<FirmwareJob, 'campaignId' | 'endpoint'> }
  /** A job's attempt ended on this task (succeeded, failed or waiting for the retry verdict). */
  | { readonly kind: 'jobEnded'; readonly job: FirmwareJob };

export type EdgeEventKind = EdgeEvent['kind'];

export interface EdgeEventListener {
  handle(event: EdgeEvent): Promise<void>;
}

export class EdgeEvents {
  /** Failures of event handling: each was logged once. */
  readonly faults = { backgroundRejections: 0 };
  private readonly counts = new Map<EdgeEventKind, number>();
  private handler: EdgeEventListener | undefined;
  /** Events emitted while the edge starts, before its handler exists; handled as soon as it does. */
  private readonly pending: EdgeEvent[] = [];

  constructor(private readonly logger: Logger) {}

  emit(event: EdgeEvent): void {
    this.counts.set(event.kind, this.count(event.kind) + 1);
    if (this.handler === undefined) this.pending.push(event);
    else this.dispatch(this.handler, event);
  }

  /** How many events of a kind were emitted (accepted Registers, for the metrics). */
  count(kind: EdgeEventKind): number {
    return this.counts.get(kind) ?? 0;
  }

  handleWith(handler: EdgeEventListener): void {
    this.handler = handler;
    for (const event of this.pending.splice(0)) this.dispatch(handler, event);
  }

  private dispatch(handler: EdgeEventListener, event: EdgeEvent): void {
    handler.handle(event).catch((error: unknown) => {
      this.faults.backgroundRejections++;
      this.logger.error('unexpected failure in background work', { what: event.kind, error });
    });
  }
}
