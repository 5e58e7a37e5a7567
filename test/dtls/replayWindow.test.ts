import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../dtls/ReplayWindow.ts';

function windowWith(...marked: number[]): ReplayWindow {
  const window = new ReplayWindow();
  for (const sequenceNumber of marked) window.mark(sequenceNumber);
  return window;
}

describe('the anti-replay window', () => {
  it('accepts a new sequence number and refuses it once marked', () => {
    const window = windowWith(0, 1, 2);

    expect(window.isFresh(3)).toBe(true);
    expect(window.isFresh(2)).toBe(false);
  });

  it('accepts a late record inside the window once', () => {
    const window = windowWith(10, 12);

    expect(window.isFresh(11)).toBe(true);
    window.mark(11);
    expect(window.isFresh(11)).toBe(false);
  });

  it('refuses records 64 or more behind the highest', () => {
    const window = windowWith(100);

    expect(window.isFresh(37)).toBe(true);
    expect(window.isFresh(36)).toBe(false);
  });

  it('does not move when a number is only checked (a forged record must not shift it)', () => {
    const window = windowWith(5);

    window.isFresh(1_000);

    expect(window.isFresh(6)).toBe(true);
    expect(window.isNewest(6)).toBe(true);
  });

  it('handles 48-bit sequence numbers', () => {
    const top = 2 ** 48 - 1;
    const window = windowWith(top - 1);

    expect(window.isFresh(top)).toBe(true);
    window.mark(top);
    expect(window.isFresh(top)).toBe(false);
    expect(window.isFresh(top - 1)).toBe(false);
    expect(window.isFresh(top - 2)).toBe(true);
  });

  it('tells the newest record from a late one', () => {
    const window = windowWith(3, 7);

    expect(window.isNewest(8)).toBe(true);
    expect(window.isNewest(5)).toBe(false);
  });
});
