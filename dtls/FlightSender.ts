/**
 * Sends a handshake flight and retransmits it (RFC 6347 §4.2.4): on a timer that starts at
 * `retransmitInitialMs` and doubles (§4.2.4.1, capped at 60 s), and when the peer repeats its
 * previous flight, at most once per MIN_RESEND_INTERVAL_MS so a repeating peer cannot make us
 * loop. Each retransmission is sealed again with fresh record sequence numbers.
 */
import type { FlightEntry, RecordWriter } from './RecordWriter.ts';

const MAX_TIMEOUT_MS = 60_000;
export const MIN_RESEND_INTERVAL_MS = 250;

/** The socket's settings every flight shares. */
export interface FlightSettings {
  readonly mtu: number;
  readonly retransmitInitialMs: number;
  readonly maxRetransmissions: number;
}

/** Whom the flight belongs to: it sends the datagrams to its peer and hears when we give up. */
export interface FlightOwner {
  transmitFlight(datagrams: readonly Buffer[]): void;
  /** The last retransmission went unanswered. */
  flightUnanswered(retransmissions: number): void;
}

export class FlightSender {
  private flight: readonly FlightEntry[] = [];
  private retransmissions = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = 0;

  constructor(
    private readonly writer: RecordWriter,
    private readonly settings: FlightSettings,
    private readonly owner: FlightOwner,
  ) {}

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
    this.owner.transmitFlight(this.writer.writeFlight(this.flight, this.settings.mtu));
  }

  private arm(): void {
    const delay = Math.min(this.settings.retransmitInitialMs * 2 ** this.retransmissions, MAX_TIMEOUT_MS);
    // The sender rides along as the timer's argument: no closure per handshake.
    this.timer = setTimeout(FlightSender.timedOut, delay, this);
    this.timer.unref();
  }

  private static timedOut(this: void, sender: FlightSender): void {
    if (sender.retransmissions >= sender.settings.maxRetransmissions) {
      sender.timer = undefined;
      sender.owner.flightUnanswered(sender.retransmissions);
      return;
    }
    sender.retransmissions++;
    sender.transmit();
    sender.arm();
  }
}
