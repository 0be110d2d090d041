import { CancelledError, TimeoutError } from './errors.js';
import { AsyncFuture, watchFutures } from './future.js';
import { checkDelay, checkOneOf, checkOptions, checkSignal, describe } from './validate.js';

/** When `wait` returns. */
export const WaitStrategy = {
  /** Every future has settled. */
  ALL_COMPLETED: 'ALL_COMPLETED',
  /** Any future has settled. */
  FIRST_COMPLETED: 'FIRST_COMPLETED',
  /** Any future has failed (a cancellation does not count), or all have settled. */
  FIRST_EXCEPTION: 'FIRST_EXCEPTION',
} as const;
export type WaitStrategy = (typeof WaitStrategy)[keyof typeof WaitStrategy];

/** Options of {@link wait}. */
export interface WaitOptions {
  /** @default WaitStrategy.ALL_COMPLETED */
  returnWhen?: WaitStrategy | undefined;
  /** Return what is done after this many ms (never throws for it). */
  timeout?: number | undefined;
  /** Stop waiting when it aborts (rejects with `CancelledError`). */
  signal?: AbortSignal | undefined;
}

/** What {@link wait} returns: the futures settled and those still pending. */
export interface WaitResult<F extends AsyncFuture<unknown> = AsyncFuture<unknown>> {
  done: Set<F>;
  pending: Set<F>;
}

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** Throw `TimeoutError` (`2 (of 4) futures unfinished`) if not all settled within this many ms. */
  timeout?: number | undefined;
  /** Stop when it aborts (the iterator throws `CancelledError`). */
  signal?: AbortSignal | undefined;
}

const STRATEGIES = Object.values(WaitStrategy);

function collect<F extends AsyncFuture<unknown>>(futures: Iterable<F>): Set<F> {
  if (futures == null || typeof (futures as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`futures must be an iterable of AsyncFuture, got ${describe(futures)}`);
  }
  const set = new Set<F>();
  for (const f of futures) {
    if (!(f instanceof AsyncFuture)) throw new TypeError(`futures must contain only AsyncFuture, got ${describe(f)}`);
    set.add(f);
  }
  return set;
}

const WAIT_KEYS: ReadonlySet<string> = new Set(['returnWhen', 'timeout', 'signal']);
const AS_COMPLETED_KEYS: ReadonlySet<string> = new Set(['timeout', 'signal']);

function checkWaitOptions(options: WaitOptions | AsCompletedOptions, keys: ReadonlySet<string>): void {
  checkOptions('options', options, keys);
  if (options.timeout !== undefined) checkDelay('timeout', options.timeout);
  if (options.signal !== undefined) checkSignal('signal', options.signal);
}

/**
 * Wait for the futures by `returnWhen`. On timeout it returns what is done so
 * far; it never throws for a task's failure.
 *
 * @example
 * const { done, pending } = await wait(futures, { returnWhen: WaitStrategy.FIRST_COMPLETED, timeout: 1000 });
 */
export function wait<F extends AsyncFuture<unknown>>(
  futures: Iterable<F>,
  options: WaitOptions = {},
): Promise<WaitResult<F>> {
  let all: Set<F>;
  let returnWhen: WaitStrategy;
  try {
    checkWaitOptions(options, WAIT_KEYS);
    // `null` is not "use the default": only a missing returnWhen is
    returnWhen = checkOneOf(
      'returnWhen',
      options.returnWhen === undefined ? WaitStrategy.ALL_COMPLETED : options.returnWhen,
      STRATEGIES,
    );
    all = collect(futures);
  } catch (error) {
    return Promise.reject(error);
  }
  const { timeout, signal } = options;
  const split = (): WaitResult<F> => {
    const done = new Set<F>();
    const pending = new Set<F>();
    for (const f of all) (f.done() ? done : pending).add(f);
    return { done, pending };
  };
  /** `f` settling is enough, whatever else is pending. */
  const decides = (f: AsyncFuture<unknown>) =>
    returnWhen === WaitStrategy.FIRST_COMPLETED ||
    (returnWhen === WaitStrategy.FIRST_EXCEPTION && f.state === 'failed');
  let unsettled = 0;
  let decided = false;
  for (const f of all) {
    if (!f.done()) unsettled++;
    else if (decides(f)) decided = true;
  }
  if (decided || unsettled === 0) return Promise.resolve(split());
  if (signal?.aborted) return Promise.reject(new CancelledError('wait aborted', { cause: signal.reason }));
  return new Promise((resolve, reject) => {
    const finish = (error?: unknown) => {
      stop();
      if (error === undefined) resolve(split());
      else reject(error);
    };
    const stop = watchFutures(
      all,
      // Counted, not rescanned: each settling future costs the same however many there are.
      (f) => {
        unsettled--;
        if (unsettled === 0 || decides(f)) finish();
      },
      timeout,
      finish,
      signal,
      (reason) => finish(new CancelledError('wait aborted', { cause: reason })),
    );
  });
}

/**
 * Yield each future as it settles, in completion order (those already done
 * first). Duplicates are yielded once. With `timeout`, throws `TimeoutError`
 * (`2 (of 4) futures unfinished`) if not all settled in time.
 *
 * @example
 * for await (const future of asCompleted(futures)) console.log(await future);
 */
export function asCompleted<F extends AsyncFuture<unknown>>(
  futures: Iterable<F>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<F> {
  checkWaitOptions(options, AS_COMPLETED_KEYS);
  const all = collect(futures);
  const total = all.size;
  /** settled, not yet yielded: from `head` on (read by index, not `shift()`, which is linear in V8 on long arrays) */
  let ready: F[] = [];
  let head = 0;
  let yielded = 0;
  let closed = false;
  let timedOut = false;
  let waiter: { resolve: (r: IteratorResult<F>) => void; reject: (e: unknown) => void } | undefined;
  const { timeout, signal } = options;

  for (const f of all) if (f.done()) ready.push(f);
  /** Nothing left to wait for (all settled, or the iterator closed): drop the timer and every listener. */
  let release = () => {};
  const stop = () => {
    closed = true;
    release();
  };
  const pump = () => {
    if (waiter === undefined) return;
    const w = waiter;
    if (head < ready.length) {
      waiter = undefined;
      yielded++;
      if (yielded === total) stop();
      const f = ready[head] as F;
      ready[head++] = undefined as never; // yielded: hold it no longer
      if (head === ready.length) {
        ready = [];
        head = 0;
      }
      w.resolve({ done: false, value: f });
    } else if (closed || yielded === total) {
      waiter = undefined;
      const error = timedOut
        ? new TimeoutError(`${total - yielded} (of ${total}) futures unfinished`)
        : signal?.aborted && yielded < total
          ? new CancelledError('asCompleted aborted', { cause: signal.reason })
          : undefined;
      stop();
      timedOut = false;
      if (error !== undefined) {
        yielded = total; // later next() calls are done
        w.reject(error);
      } else w.resolve({ done: true, value: undefined });
    }
  };
  const settled = (f: AsyncFuture<unknown>) => {
    if (closed) return;
    ready.push(f as F);
    // All settled: the timeout and the signal can change nothing now, even if the rest is never read.
    if (yielded + ready.length - head === total) release();
    pump();
  };
  if (signal?.aborted && ready.length < total) closed = true;
  else if (ready.length < total) {
    release = watchFutures(
      all,
      settled,
      timeout,
      () => {
        // Every future settled in time (some may not be consumed yet): no timeout.
        if (closed || yielded + ready.length - head === total) return;
        timedOut = true;
        stop();
        pump();
      },
      signal,
      () => {
        stop();
        pump();
      },
    );
  }

  const iterator: AsyncIterableIterator<F> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    next() {
      return new Promise((resolve, reject) => {
        if (waiter !== undefined) {
          reject(new TypeError('asCompleted: next() called before the previous call settled'));
          return;
        }
        waiter = { resolve, reject };
        pump();
      });
    },
    return(value?: unknown) {
      stop();
      ready = [];
      head = 0;
      yielded = total;
      const w = waiter; // a next() still waiting ends too
      waiter = undefined;
      w?.resolve({ done: true, value: undefined });
      return Promise.resolve({ done: true, value: value as F });
    },
  };
  return iterator;
}
