/** Bounds how much asynchronous work runs at once (device exchanges, table writes). */
export class Semaphore {
  private available: number;
  private readonly queue: (() => void)[] = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`a semaphore needs at least one permit, not ${permits}`);
    this.available = permits;
  }

  /** Callers waiting for a permit now. */
  get waiting(): number {
    return this.queue.length;
  }

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.available++;
    }
  }
}

/**
 * Table writes in flight at once in one workflow task: enough to move a cohort of tens of
 * thousands within a Lambda invocation, few enough for on-demand DynamoDB capacity.
 */
export const PARALLEL_WRITES = 32;

/** `work` applied to every item, at most `limit` at a time; the results in the items' order. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
