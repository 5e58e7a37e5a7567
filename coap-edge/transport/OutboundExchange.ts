/**
 * One request to a device until it settles, the one settle/timeout path of every outbound
 * exchange (requests and observations alike): the first of its answer, its error, its deadline or
 * the peer being given up wins; the deadline, the peer tracking and the wait for a separate
 * response are released then, once.
 */
export class OutboundExchange<T> {
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly releases: (() => void)[] = [];

  constructor(
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: Error) => void,
    /** Stops the library's retransmissions of the request. */
    private readonly abort: () => void,
  ) {}

  get isSettled(): boolean {
    return this.settled;
  }

  /** Fails with `error()` and aborts the request after `ms`; a later call replaces the deadline. */
  deadline(ms: number, error: () => Error): void {
    if (this.settled) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(error(), { abort: true }), ms);
  }

  /** Something to undo when the exchange settles (it runs at once if it already has). */
  onSettled(release: () => void): void {
    if (this.settled) release();
    else this.releases.push(release);
  }

  succeed(value: T): void {
    if (this.settle()) this.resolve(value);
  }

  /** `abort`: the library is still retransmitting the request (a deadline, a peer given up). */
  fail(error: Error, { abort = false }: { readonly abort?: boolean } = {}): void {
    if (!this.settle()) return;
    this.reject(error);
    if (abort) this.abort();
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    for (const release of this.releases.splice(0)) release();
    return true;
  }
}
