/**
 * The one wait of the tests: calls `probe` until it returns without throwing, and fails with the
 * last thing it saw (the probe's own error message) when `timeoutMs` passes. A condition, not a
 * sleep: the loop ends as soon as the state is reached, and a failure says what the state was.
 */
export interface EventuallyOptions {
  /** What is awaited, for the failure message. */
  readonly what: string;
  /** @default 20_000 */
  readonly timeoutMs?: number;
  /** Pause between probes. @default 100 */
  readonly intervalMs?: number;
}

export class EventuallyTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventuallyTimeoutError';
  }
}

export async function eventually<T>(probe: () => T | Promise<T>, options: EventuallyOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() >= deadline) {
        const seen = error instanceof Error ? error.message : String(error);
        throw new EventuallyTimeoutError(`timed out after ${options.timeoutMs ?? 20_000} ms waiting for ${options.what}; last seen: ${seen}`, { cause: error });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
