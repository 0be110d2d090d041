import { CancelledError, TimeoutError } from './errors.js';
import { reportError } from './future.js';
import { clearTimer, setTimer } from './time.js';
import { checkDelay, checkFunction, checkOptions, checkSignal, describe } from './validate.js';

const KEYS: ReadonlySet<string> = new Set(['cleanup', 'signal']);

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** Runs once if the deadline passes (close a socket, roll back…). */
  cleanup?: (() => void | PromiseLike<void>) | undefined;
  /** Aborting it rejects with `CancelledError` (and aborts the signal given to `fn`). */
  signal?: AbortSignal | undefined;
}

/**
 * Settle with `fnOrPromise` or reject with `TimeoutError` after `ms`. A
 * function receives an `AbortSignal` that aborts on timeout, so the work
 * itself can stop; `cleanup` runs once on timeout. The timer is always cleared.
 *
 * @example
 * const body = await withTimeout((signal) => fetch(url, { signal }).then((r) => r.text()), 5000);
 */
export function withTimeout<T>(
  fnOrPromise: ((signal: AbortSignal) => T | PromiseLike<T>) | PromiseLike<T>,
  ms: number,
  options: WithTimeoutOptions = {},
): Promise<Awaited<T>> {
  try {
    checkDelay('ms', ms);
    checkOptions('options', options, KEYS);
    if (options.cleanup !== undefined) checkFunction('cleanup', options.cleanup);
    if (options.signal !== undefined) checkSignal('signal', options.signal);
    if (typeof fnOrPromise !== 'function' && typeof (fnOrPromise as PromiseLike<T>)?.then !== 'function') {
      throw new TypeError(`fnOrPromise must be a function or a promise, got ${describe(fnOrPromise)}`);
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const { cleanup, signal } = options;
  if (signal?.aborted) return Promise.reject(new CancelledError('withTimeout aborted', { cause: signal.reason }));
  const controller = new AbortController();
  return new Promise<Awaited<T>>((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, value?: Awaited<T>) => {
      if (settled) return;
      settled = true;
      clearTimer(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(value as Awaited<T>);
      else reject(error);
    };
    const onAbort = () => {
      const error = new CancelledError('withTimeout aborted', { cause: signal?.reason });
      controller.abort(error);
      finish(error);
    };
    const timer = setTimer(() => {
      if (settled) return;
      const error = new TimeoutError(`timed out after ${ms} ms`);
      controller.abort(error);
      finish(error);
      if (cleanup !== undefined) {
        // The caller already has its TimeoutError: a cleanup that fails is reported, as a throwing callback is.
        try {
          Promise.resolve(cleanup()).catch(reportError);
        } catch (e) {
          reportError(e);
        }
      }
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    let work: PromiseLike<T> | T;
    try {
      work = typeof fnOrPromise === 'function' ? fnOrPromise(controller.signal) : fnOrPromise;
    } catch (error) {
      finish(error ?? new Error('withTimeout: function threw a nullish value'));
      return;
    }
    Promise.resolve(work).then(
      (value) => finish(undefined, value),
      (error: unknown) => finish(error ?? new Error('withTimeout: rejected with a nullish value')),
    );
  });
}
