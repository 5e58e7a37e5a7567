import { describe, expect, it } from 'vitest';
import { isAwake } from '../../../core/devices/DeviceRequest.ts';

describe('whether the edge may send to a device now (isAwake)', () => {
  it('holds a device in queue mode to its awake window after it last spoke', () => {
    const device = { queueMode: true, lastSeen: 1_000 };

    expect([isAwake(device, 1_000 + 92_999), isAwake(device, 1_000 + 93_000)]).toEqual([true, false]);
  });

  it('never sends to a device whose address another endpoint registered from since it last spoke', () => {
    expect(isAwake({ queueMode: false, lastSeen: 1_000, addressTakenAt: 2_000 }, 2_001)).toBe(false);
  });

  it('sends again once the device spoke after its address was taken', () => {
    expect(isAwake({ queueMode: false, lastSeen: 3_000, addressTakenAt: 2_000 }, 3_001)).toBe(true);
  });
});
