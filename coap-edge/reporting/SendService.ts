/**
 * Send (LwM2M 1.1 §6.4.7): a client POSTs values to /dp, unasked, in SenML JSON or SenML CBOR
 * (anything else is 4.15). The request carries no endpoint name: the device is known by the
 * address and port it last registered or updated from through this task; an unknown sender gets
 * 4.04 and recovers with its next Update. 2.04 is sent only once the values are stored.
 */
import { decodeTimedSenml, isSenmlFormat } from '../../core/codecs/senmlPaths.ts';
import type { ObjectRegistry } from '../../core/lwm2m/objectRegistry.ts';
import { TelemetrySource } from '../../core/devices/Telemetry.ts';
import type { InboundRequest, OutboundResponse, Peer } from '../transport/CoapTransport.ts';
import type { TelemetryRecorder } from './TelemetryRecorder.ts';

/** Who registered from an address through this task (RegistrationService). */
export interface SenderDirectory {
  endpointAt(peer: Peer): string | undefined;
}

export interface SendServiceOptions {
  readonly senders: SenderDirectory;
  readonly recorder: TelemetryRecorder;
  readonly registry: ObjectRegistry;
  /** The device spoke: a queue-mode device is awake now. */
  readonly onSend?: (endpoint: string) => void;
  readonly clock?: () => number;
}

export class SendService {
  private readonly now: () => number;

  constructor(private readonly options: SendServiceOptions) {
    this.now = options.clock ?? Date.now;
  }

  async handle(request: InboundRequest): Promise<OutboundResponse> {
    if (request.pathSegments.length !== 1) return { code: '4.04' };
    if (request.method !== 'POST') return { code: '4.05' };
    if (!isSenmlFormat(request.contentFormat)) {
      return { code: '4.15', payload: Buffer.from('Send carries SenML JSON (110) or SenML CBOR (112)') };
    }
    const endpoint = this.options.senders.endpointAt(request.peer);
    if (endpoint === undefined) return { code: '4.04', payload: Buffer.from('no registration from this address: Register or Update first') };
    const decoded = decodeTimedSenml(request.contentFormat, request.payload, this.options.registry, this.now());
    if (!decoded.success) return { code: '4.00', payload: Buffer.from(decoded.error.message.slice(0, 200)) };
    await this.options.recorder.record(endpoint, decoded.data, TelemetrySource.Send);
    this.options.onSend?.(endpoint);
    return { code: '2.04' };
  }
}
