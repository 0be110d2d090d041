import { CancelledError, TimeoutError } from './errors.js';
import { reportError } from './future.js';
import { callerSignals } from './signals.js';
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
    const finish = (ok: boolean, outcome: unknown) => {
      if (settled) return;
      settled = true;
      clearTimer(timer);
      if (signal !== undefined) callerSignals.delete(signal, watcher);
      // A rejection passes through as it came, `undefined` and `null` included (as from Promise.race).
      if (ok) resolve(outcome as Awaited<T>);
      else reject(outcome);
    };
    const watcher = {
      cancel: (reason: unknown) => {
        const error = new CancelledError('withTimeout aborted', { cause: reason });
        controller.abort(error);
        finish(false, error);
      },
    };
    const timer = setTimer(() => {
      if (settled) return;
      const error = new TimeoutError(`timed out after ${ms} ms`);
      controller.abort(error);
      finish(false, error);
      if (cleanup !== undefined) {
        // The caller already has its TimeoutError: a cleanup that fails is reported, as a throwing callback is.
        try {
          Promise.resolve(cleanup()).catch(reportError);
        } catch (e) {
          reportError(e);
        }
      }
    }, ms);
    if (signal !== undefined) callerSignals.add(signal, watcher);
    let work: PromiseLike<T> | T;
    try {
      work = typeof fnOrPromise === 'function' ? fnOrPromise(controller.signal) : fnOrPromise;
    } catch (error) {
      finish(false, error);
      return;
    }
    Promise.resolve(work).then(
      (value) => finish(true, value),
      (error: unknown) => finish(false, error),
    );
  });
}
