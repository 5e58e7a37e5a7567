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
   * The RFC 4303 bitmap in two 32-bit halves: bit `i` of the 64 says `highest - i` was received.
   * Plain numbers rather than a typed array: a window is created per handshake, and a typed
   * array's backing store costs more to allocate than the rest of the window.
   */
  private low = 0;
  private high = 0;

  /** True when `sequenceNumber` is new and not left of the window. */
  isFresh(sequenceNumber: number): boolean {
    if (sequenceNumber > this.highest) return true;
    const behind = this.highest - sequenceNumber;
    if (behind >= REPLAY_WINDOW_SIZE) return false;
    return behind < 32 ? (this.low & (1 << behind)) === 0 : (this.high & (1 << (behind - 32))) === 0;
  }

  /** True when this record is newer than every one before it (RFC 9146 §6 address updates). */
  isNewest(sequenceNumber: number): boolean {
    return sequenceNumber > this.highest;
  }

  /** Records an authenticated record's sequence number. */
  mark(sequenceNumber: number): void {
    if (sequenceNumber > this.highest) {
      this.slide(this.highest < 0 ? REPLAY_WINDOW_SIZE : sequenceNumber - this.highest);
      this.highest = sequenceNumber;
      this.low |= 1;
      return;
    }
    const behind = this.highest - sequenceNumber;
    if (behind < 32) this.low |= 1 << behind;
    else if (behind < REPLAY_WINDOW_SIZE) this.high |= 1 << (behind - 32);
  }

  /** Shifts the bitmap left by `by` positions: the window's right edge moves `by` records on. */
  private slide(by: number): void {
    if (by >= REPLAY_WINDOW_SIZE) {
      this.low = 0;
      this.high = 0;
    } else if (by >= 32) {
      this.high = by === 32 ? this.low : this.low << (by - 32);
      this.low = 0;
    } else {
      this.high = (this.high << by) | (this.low >>> (32 - by));
      this.low <<= by;
    }
  }
}
