import type { AsyncFuture } from './future.js';

interface Watch {
  readonly futures: Set<AsyncFuture<unknown>>;
  readonly onAbort: () => void;
}

/**
 * One abort listener per signal, however many tasks share it: a thousand
 * tasks submitted with one `signal` add one listener, not a thousand (and no
 * `MaxListenersExceededWarning`). The listener goes when its last task settles.
 */
export class SignalWatch {
  private readonly watches = new Map<AbortSignal, Watch>();

  /** Cancel `future` when `signal` aborts. */
  add(signal: AbortSignal, future: AsyncFuture<unknown>): void {
    let watch = this.watches.get(signal);
    if (watch === undefined) {
      const futures = new Set<AsyncFuture<unknown>>();
      const onAbort = () => {
        this.watches.delete(signal);
        signal.removeEventListener('abort', onAbort);
        for (const f of futures) f.cancel(signal.reason);
      };
      watch = { futures, onAbort };
      this.watches.set(signal, watch);
      signal.addEventListener('abort', onAbort);
    }
    watch.futures.add(future);
  }

  /** Stop watching `future` (it settled). */
  delete(signal: AbortSignal, future: AsyncFuture<unknown>): void {
    const watch = this.watches.get(signal);
    if (watch === undefined || !watch.futures.delete(future) || watch.futures.size > 0) return;
    this.watches.delete(signal);
    signal.removeEventListener('abort', watch.onAbort);
  }

  /** Signals listened to now. */
  get size(): number {
    return this.watches.size;
  }
}
