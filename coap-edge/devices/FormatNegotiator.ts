/**
 * Content-format negotiation for reads and observations (core/devices/formatNegotiation.ts
 * decides the order): a 4.06 Not Acceptable moves to the next format at once; silence to a
 * request carrying an Accept moves one step per timeout, and only while no format is known to
 * work for the device (once one worked, silence means the device is away, not that it dislikes
 * the Accept), so an offline device costs one extra timeout per read, never a storm. What works
 * is remembered per device: in this process, and in the registration through `FormatMemory`.
 */
import { NO_ACCEPT, readFormatCandidates, type ReadFormat } from '../../core/devices/formatNegotiation.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { DeviceNoResponseError, DeviceTimeoutError, PeerMovedError } from '../transport/errors.ts';

export type NegotiationTarget = Pick<DeviceRegistration, 'endpoint' | 'lwm2mVersion' | 'supportedFormats'> &
  Partial<Pick<DeviceRegistration, 'registrationId' | 'negotiatedFormat'>>;

/** Keeps what format worked for a device where other tasks and restarts find it. */
export interface FormatMemory {
  /** Never throws: a failed write only costs a renegotiation later. */
  remember(device: NegotiationTarget, format: ReadFormat): Promise<void>;
}

/** One try in one format: the device's answer, or its 4.06. */
export type NegotiationStep<T> = { readonly kind: 'answered'; readonly value: T } | { readonly kind: 'notAcceptable' };

export class FormatNegotiator {
  /** endpoint -> the format to ask first: the one that worked, or the next after silence. */
  private readonly learned = new Map<string, { readonly format: ReadFormat; readonly worked: boolean }>();

  constructor(private readonly memory?: FormatMemory) {}

  /** Forgets what was learned of an endpoint (it registered again, maybe with other firmware). */
  forget(endpoint: string): void {
    this.learned.delete(endpoint);
  }

  /** The format a request to this device asks in first. */
  firstFormat(device: NegotiationTarget): ReadFormat {
    return this.candidates(device)[0] ?? NO_ACCEPT;
  }

  /**
   * Runs `attempt` in each candidate format until the device answers (anything but 4.06); the
   * last 4.06 is returned as `notAcceptable` when no format is left.
   */
  async negotiate<T>(device: NegotiationTarget, attempt: (format: ReadFormat) => Promise<NegotiationStep<T>>): Promise<NegotiationStep<T>> {
    const candidates = this.candidates(device);
    const known = this.knownToWork(device);
    let silentSteps = 0;
    let last: NegotiationStep<T> = { kind: 'notAcceptable' };
    for (const [index, format] of candidates.entries()) {
      try {
        last = await attempt(format);
      } catch (error) {
        const next = candidates[index + 1];
        const silence = error instanceof DeviceTimeoutError && !(error instanceof PeerMovedError) && !(error instanceof DeviceNoResponseError);
        if (!silence || known || format === NO_ACCEPT || next === undefined) throw error;
        // One step per timeout: the next read starts at the next format if this one fails too.
        this.learned.set(device.endpoint, { format: next, worked: false });
        if (++silentSteps > 1) throw error;
        continue;
      }
      if (last.kind === 'answered') {
        await this.worked(device, format);
        return last;
      }
    }
    return last;
  }

  private candidates(device: NegotiationTarget): ReadFormat[] {
    const learned = this.learned.get(device.endpoint)?.format ?? device.negotiatedFormat;
    return readFormatCandidates({
      lwm2mVersion: device.lwm2mVersion,
      supportedFormats: device.supportedFormats,
      ...(learned === undefined ? {} : { negotiatedFormat: learned }),
    });
  }

  private knownToWork(device: NegotiationTarget): boolean {
    const learned = this.learned.get(device.endpoint);
    return learned === undefined ? device.negotiatedFormat !== undefined : learned.worked;
  }

  private async worked(device: NegotiationTarget, format: ReadFormat): Promise<void> {
    const learned = this.learned.get(device.endpoint);
    if (learned?.worked === true && learned.format === format) return;
    this.learned.set(device.endpoint, { format, worked: true });
    if (device.negotiatedFormat !== format) await this.memory?.remember(device, format);
  }
}
