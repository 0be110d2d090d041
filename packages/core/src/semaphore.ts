import { checkFunction, checkInt } from './validate.js';
import { type Waiter, WaiterList, waitForGrant } from './waiters.js';

export type { Waiter } from './waiters.js';

const NOOP_WAITER: Waiter = { cancel() {} };

/**
 * A counting semaphore with a fair (FIFO) queue: at most `permits` holders at
 * once, and a released permit goes straight to the longest waiter, so a
 * late `tryAcquire()` can never overtake someone already queued. An aborted
 * waiter leaves the queue without taking a permit. Share one between tasks
 * (the executor's `semaphore` task option) or use it alone.
 *
 * @example
 * const db = new Semaphore(2);
 * await Promise.all(ids.map((id) => db.run(() => query(id)))); // ≤ 2 queries at once
 */
export class Semaphore {
  /** The number of permits it was created with. */
  readonly permits: number;
  #available: number;
  readonly #waiters = new WaiterList();

  /** @param permits how many holders at once: an integer ≥ 1. */
  constructor(permits: number) {
    this.permits = checkInt('permits', permits, 1);
    this.#available = this.permits;
  }

  /** Permits free right now. */
  get available(): number {
    return this.#available;
  }

  /** Callers queued for a permit. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Take a permit if one is free and nobody is queued ahead; never waits. */
  tryAcquire(): boolean {
    if (this.#available === 0 || this.#waiters.size > 0) return false;
    this.#available--;
    return true;
  }

  /**
   * Wait for a permit (FIFO). If `signal` aborts first, the waiter leaves the
   * queue and the promise rejects with `CancelledError` (cause: `signal.reason`).
   */
  acquire(signal?: AbortSignal): Promise<void> {
    return waitForGrant((grant) => this.enqueue(grant), signal, 'semaphore acquire aborted');
  }

  /** Give a permit back: to the first waiter if any, else to the pool (never above `permits`). */
  release(): void {
    const grant = this.#waiters.shift();
    if (grant !== undefined) grant();
    else if (this.#available < this.permits) this.#available++;
  }

  /** Acquire a permit, run `fn`, and release the permit when it settles (or throws). */
  async run<T>(fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    checkFunction('fn', fn);
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Callback-style waiting for the executor: FIFO within a `priority` (a
   * task's; `acquire` waits at 0), higher first. `grant` is called with a
   * permit already taken on the waiter's behalf: at once (before `enqueue`
   * returns) if one is free and nobody is queued, else synchronously from the
   * `release()` that frees it. `grant` must not throw. The handle's `cancel()`
   * leaves the queue (a no-op after the grant).
   * @internal
   */
  enqueue(grant: () => void, priority = 0): Waiter {
    checkFunction('grant', grant);
    if (this.tryAcquire()) {
      grant();
      return NOOP_WAITER;
    }
    return this.#waiters.push(grant, undefined, priority);
  }
}
