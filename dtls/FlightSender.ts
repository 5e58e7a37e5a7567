/**
 * Sends a handshake flight and retransmits it (RFC 6347 §4.2.4): on a timer that starts at
 * `initialMs` and doubles (§4.2.4.1, capped at 60 s), and when the peer repeats its previous
 * flight, at most once per MIN_RESEND_INTERVAL_MS so a repeating peer cannot make us loop.
 * Each retransmission is sealed again with fresh record sequence numbers.
 */
import type { FlightEntry, RecordWriter } from './RecordWriter.ts';

const MAX_TIMEOUT_MS = 60_000;
export const MIN_RESEND_INTERVAL_MS = 250;

export interface FlightSenderOptions {
  readonly writer: RecordWriter;
  readonly mtu: number;
  readonly initialMs: number;
  readonly maxRetransmissions: number;
  readonly transmit: (datagrams: readonly Buffer[]) => void;
  /** Called when the last retransmission went unanswered. */
  readonly giveUp: (retransmissions: number) => void;
}

export class FlightSender {
  private flight: readonly FlightEntry[] = [];
  private retransmissions = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = 0;

  constructor(private readonly options: FlightSenderOptions) {}

  /** Sends a new flight; with `awaitAnswer` the timer retransmits it until `stop()`. */
  send(flight: readonly FlightEntry[], awaitAnswer: boolean): void {
    this.stop();
    this.flight = flight;
    this.retransmissions = 0;
    this.transmit();
    if (awaitAnswer) this.arm();
  }

  /** The peer repeated its flight: ours was lost. */
  resend(): void {
    if (this.flight.length === 0 || Date.now() - this.lastSentAt < MIN_RESEND_INTERVAL_MS) return;
    this.transmit();
  }

  /** The answer arrived (or the handshake ended): no more timer. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private transmit(): void {
    this.lastSentAt = Date.now();
    this.options.transmit(this.options.writer.writeFlight(this.flight, this.options.mtu));
  }

  private arm(): void {
    const delay = Math.min(this.options.initialMs * 2 ** this.retransmissions, MAX_TIMEOUT_MS);
    this.timer = setTimeout(() => {
      if (this.retransmissions >= this.options.maxRetransmissions) {
        this.timer = undefined;
        this.options.giveUp(this.retransmissions);
        return;
      }
      this.retransmissions++;
      this.transmit();
      this.arm();
    }, delay);
    this.timer.unref();
  }
}
