import { describe, expect, it } from 'vitest';
import { mapWithLimit, Semaphore } from '../../core/concurrency.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('mapWithLimit', () => {
  it('keeps the order of the items and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapWithLimit(Array.from({ length: 50 }, (_, i) => i), 4, async (item, index) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, (item * 7) % 5));
      running--;
      return `${item}@${index}`;
    });
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => `${i}@${i}`));
    expect(most).toBe(4);
  });

  it('handles no items, and a limit larger than the list', async () => {
    expect(await mapWithLimit([], 8, async () => 1)).toEqual([]);
    expect(await mapWithLimit([1, 2], 100, async (n) => n * 2)).toEqual([2, 4]);
  });

  it('rejects with the first error', async () => {
    await expect(mapWithLimit([1, 2, 3], 2, async (n) => {
      await tick();
      if (n === 2) throw new Error('two failed');
      return n;
    })).rejects.toThrow('two failed');
  });
});

describe('Semaphore', () => {
  it('lets `permits` works run at once and releases a permit when a work fails', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let most = 0;
    const work = (fail: boolean) => semaphore.use(async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      if (fail) throw new Error('failed');
    });
    const outcomes = await Promise.allSettled([work(true), work(false), work(true), work(false), work(false)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(most).toBe(2);
  });

  it('refuses fewer than one permit', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
