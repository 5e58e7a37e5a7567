/**
 * The anti-replay sliding window of RFC 6347 §4.1.2.6 (RFC 4303 §3.4.3), 64 records wide, for
 * one epoch. Check before decrypting; mark only after the record authenticated, so a forged
 * record cannot move the window.
 */
export const REPLAY_WINDOW_SIZE = 64;

export class ReplayWindow {
  /** Highest sequence number received so far, -1 before the first. */
  private highest = -1;
  /**
   * Slot `seq % 64` holds the last sequence number accepted in that slot: for a `seq` inside the
   * window, the slot holds `seq` exactly when it was received. No shifting needed.
   */
  private readonly slots = new Float64Array(REPLAY_WINDOW_SIZE).fill(-1);

  /** True when `sequenceNumber` is new and not left of the window. */
  isFresh(sequenceNumber: number): boolean {
    if (sequenceNumber > this.highest) return true;
    if (this.highest - sequenceNumber >= REPLAY_WINDOW_SIZE) return false;
    return this.slots[sequenceNumber % REPLAY_WINDOW_SIZE] !== sequenceNumber;
  }

  /** True when this record is newer than every one before it (RFC 9146 §6 address updates). */
  isNewest(sequenceNumber: number): boolean {
    return sequenceNumber > this.highest;
  }

  /** Records an authenticated record's sequence number. */
  mark(sequenceNumber: number): void {
    this.slots[sequenceNumber % REPLAY_WINDOW_SIZE] = sequenceNumber;
    if (sequenceNumber > this.highest) this.highest = sequenceNumber;
  }
}
